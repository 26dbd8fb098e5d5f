"""The packaged email templates: what each one is for, whether it carries an unsubscribe link, sample data.

The sample data is what `mediamill email preview` uses when given none, what the screenshots in
docs/img/ show, and what the tests render: one source, so the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    description: str
    # Notifications a person can turn off carry List-Unsubscribe; account mail (welcome, password
    # reset, invitations) does not: unsubscribing from a password reset makes no sense.
    unsubscribe: bool
    sample: dict = field(default_factory=dict)


TEMPLATES: dict[str, TemplateInfo] = {t.name: t for t in (
    TemplateInfo("welcome", "greets a new user and links to the app", False, {
        "userName": "Amira Haddad", "loginUrl": "https://app.example.com/login",
    }),
    TemplateInfo("project-invitation", "invites someone to join a project", False, {
        "inviterName": "Omar Saleh", "projectName": "Riyadh Expo 2027 stand", "role": "editor",
        "acceptUrl": "https://app.example.com/invitations/inv_42",
        "message": "We start on the booth renders on Monday - would love your eye on them.",
    }),
    TemplateInfo("task-assignment", "tells a user a task was assigned to them", True, {
        "recipientName": "Lina", "taskTitle": "Colour-grade the teaser cut", "projectName": "Spring campaign",
        "assignedBy": "Omar Saleh", "dueDate": "Thursday 12 March", "priority": "High",
        "taskUrl": "https://app.example.com/tasks/t_981",
    }),
    TemplateInfo("asset-shared", "tells a user an asset was shared with them", True, {
        "recipientName": "Lina", "sharedBy": "Amira Haddad", "assetName": "teaser-v3.mp4",
        "assetUrl": "https://app.example.com/s/3fk2", "expiresAt": "in 7 days",
        "message": "Final cut - the music is licensed for web only.",
    }),
    TemplateInfo("lead-created", "announces a new sales lead", True, {
        "leadName": "Khalid Mansour", "leadEmail": "khalid@example.org", "company": "Mansour Events",
        "source": "Website contact form", "leadUrl": "https://app.example.com/leads/l_77",
        "message": "Looking for a 3-day exhibition package in November.",
    }),
    TemplateInfo("meeting-reminder", "reminds attendees of an upcoming meeting", True, {
        "recipientName": "Lina", "meetingTitle": "Stand design review", "startTime": "Tomorrow, 10:00 AST",
        "duration": "45 min", "location": "Room 3 / video call", "meetingUrl": "https://meet.example.com/abc-defg",
        "agenda": ["Lighting plan", "Screen content", "Budget check"],
    }),
    TemplateInfo("password-reset", "sends a one-time link to choose a new password", False, {
        "name": "Amira", "resetUrl": "https://app.example.com/reset?token=5b1e", "expiresInMinutes": 30,
    }),
    TemplateInfo("notification", "a generic notification with an optional action", True, {
        "title": "Render finished", "message": "Your promo video 'Trail Mug' is ready to review.",
        "actionUrl": "https://app.example.com/assets/a_12", "actionLabel": "Open the video",
    }),
)}
