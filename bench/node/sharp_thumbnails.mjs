// The peer of mediamill's asset.thumbnail: sharp making the same 200x200 attention-cropped JPEGs
// (quality 80, progressive, optimised Huffman tables, metadata stripped), two files in flight.
// Usage: node sharp_thumbnails.mjs FILE... ; prints {"seconds": ..., "cpu_s": ..., "count": ...} after a warm-up.
import sharp from "sharp";

const files = process.argv.slice(2);
const thumbnail = (file) => sharp(file, { failOn: "truncated" })
  .rotate()
  .resize(200, 200, { fit: "cover", position: sharp.strategy.attention, withoutEnlargement: true })
  .toColourspace("srgb")
  .jpeg({ quality: 80, progressive: true, optimiseCoding: true })
  .toBuffer();

await thumbnail(files[0]); // warm-up, as the Python side warms its pool
const started = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
let next = 0;
const lane = async () => {
  while (next < files.length) await thumbnail(files[next++]);
};
await Promise.all([lane(), lane()]);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuStart);
const cpu_s = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify({ seconds, cpu_s, count: files.length, vips: sharp.versions.vips }));
