"""Who may do what: the one permission registry.

Permissions are data (a code, a group and a sentence for people), roles are
granted sets of permissions, and ``require`` is the one check. The use cases
(``actions.py`` of each context) call it, so every adapter (API, pages, CLI,
MQTT) is held to the same rule; web handlers only translate the ``Unauthorized``
/ ``Forbidden`` it raises. docs/security.md shows this registry as a table
(``permissions_markdown``; a meta-test keeps the two equal), and
tests/web/test_web_access_every_route.py checks every route against it.

Residents have no account (a tracking token shows them their own report) and
Open311 clients hold an API key that lets them post service requests: neither
holds any permission here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from vigie.docsection import rewrite_section, with_section
from vigie.errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from vigie.accounts.domain import Agent


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    FIELD_AGENT = "field_agent"
    ADMIN = "admin"
    # Video protection stands apart from the other roles, by law: camera positions and
    # details, and the register of image extractions, are for these roles only (not even
    # administrators), and each consultation is audited.
    VIDEO_OPERATOR = "video_operator"
    VIDEO_REGISTRAR = "video_registrar"


@dataclass(frozen=True)
class Group:
    code: str
    en: str
    fr: str


@dataclass(frozen=True)
class Permission:
    code: str
    group: str
    en: str
    fr: str


GROUPS: tuple[Group, ...] = (
    Group("reports", "Residents' reports", "Signalements des habitants"),
    Group("equipment", "Equipment, alarms and lighting", "Équipements, alarmes et éclairage"),
    Group("opendata", "Open data", "Données ouvertes"),
    Group("operations", "Operations log (main courante)", "Main courante"),
    Group("video", "Video protection", "Vidéoprotection"),
    Group("traffic", "Traffic regulation", "Régulation du trafic"),
    Group("winter", "Winter service", "Viabilité hivernale"),
    Group("administration", "Administration", "Administration"),
)

PERMISSIONS: dict[str, Permission] = {
    p.code: p
    for p in (
        Permission(
            "reports.read",
            "reports",
            "See reports with the residents' contact details, the agents' live stream, equipment, "
            "alarms and telemetry",
            "Voir les signalements avec les coordonnées des habitants, le flux des agents, les "
            "équipements, les alarmes et la télémétrie",
        ),
        Permission(
            "reports.all",
            "reports",
            "See and act on every report, non-public ones included (without it: only the reports "
            "assigned to you)",
            "Voir et traiter tous les signalements, non publics compris (sinon : seulement ceux "
            "qui vous sont affectés)",
        ),
        Permission(
            "reports.triage",
            "reports",
            "Acknowledge, assign, reject, requalify and move reports",
            "Prendre en compte, affecter, rejeter, requalifier et déplacer les signalements",
        ),
        Permission(
            "reports.work",
            "reports",
            "Start and resolve work on a report, hand it back",
            "Commencer et terminer une intervention, rendre un signalement",
        ),
        Permission(
            "reports.merge",
            "reports",
            "Merge a duplicate into the report it repeats",
            "Fusionner un doublon dans le signalement qu'il répète",
        ),
        Permission(
            "reports.moderate",
            "reports",
            "Check what the public sees of a report: its text, a public text instead, each photo "
            "shown, hidden or blurred",
            "Vérifier ce que le public voit d'un signalement : son texte, un texte public à la "
            "place, chaque photo montrée, masquée ou floutée",
        ),
        Permission(
            "reports.intake",
            "reports",
            "File a report on a resident's behalf (phone call, e-mail)",
            "Saisir un signalement pour un habitant (appel, courriel)",
        ),
        Permission(
            "stats.read",
            "reports",
            "See the dashboard figures",
            "Voir le tableau de bord",
        ),
        Permission(
            "assets.status",
            "equipment",
            "Change an equipment's status",
            "Changer l'état d'un équipement",
        ),
        Permission(
            "assets.manage",
            "equipment",
            "Add equipment to the registry",
            "Ajouter des équipements au registre",
        ),
        Permission(
            "alarms.handle",
            "equipment",
            "Acknowledge, assign and comment alarms",
            "Prendre en compte, affecter et commenter les alarmes",
        ),
        Permission(
            "alarms.clear",
            "equipment",
            "Clear an alarm by hand",
            "Lever une alarme à la main",
        ),
        Permission(
            "lighting.manage",
            "equipment",
            "Manage lighting schedules and send commands to lights",
            "Gérer les programmes d'éclairage et commander les luminaires",
        ),
        Permission(
            "opendata.publish",
            "opendata",
            "Create open datasets, upload their files, propose their rules and publish releases",
            "Créer des jeux de données ouverts, déposer leurs fichiers, proposer leurs règles et "
            "publier leurs versions",
        ),
        Permission(
            "opendata.review",
            "opendata",
            "Sit on the data ethics committee when chosen: comment, vote and record its decisions",
            "Siéger au comité d'éthique des données quand on y est désigné : commenter, voter et "
            "consigner ses décisions",
        ),
        Permission(
            "opendata.committee",
            "opendata",
            "Choose the members of the data ethics committee",
            "Désigner les membres du comité d'éthique des données",
        ),
        Permission(
            "opendata.keys",
            "opendata",
            "See reusers' API keys (with their address) and usage, issue, change quotas, revoke",
            "Voir les clés d'API des réutilisateurs (avec leur adresse) et leur usage, en délivrer, "
            "changer leurs quotas, les révoquer",
        ),
        Permission(
            "oplog.read",
            "operations",
            "Read the operations log of the services one may see, its export and shift summary",
            "Lire la main courante des services que l'on peut voir, son export et sa synthèse de fin "
            "de poste",
        ),
        Permission(
            "oplog.write",
            "operations",
            "Write entries in the operations log and correct them (by a new entry)",
            "Écrire dans la main courante et rectifier une entrée (par une nouvelle entrée)",
        ),
        Permission(
            "video.cameras",
            "video",
            "See cameras (positions, details, health), camera systems and their compliance; each "
            "consultation is audited",
            "Voir les caméras (positions, détails, état), les systèmes et leur conformité ; chaque "
            "consultation est tracée",
        ),
        Permission(
            "traffic.read",
            "traffic",
            "See signal controllers, traffic counts, priority requests and road events",
            "Voir les contrôleurs de feux, les comptages, les demandes de priorité et les "
            "événements de voirie",
        ),
        Permission(
            "traffic.manage",
            "traffic",
            "Declare, change and end roadworks and closures",
            "Déclarer, modifier et clore les chantiers et fermetures de voies",
        ),
        Permission(
            "winter.read",
            "winter",
            "See the winter plan, circuits, coverage and salt",
            "Voir le plan hivernal, les circuits, leur traitement et le sel",
        ),
        Permission(
            "winter.manage",
            "winter",
            "Set the winter plan's level, decide proposals, declare driving conditions, manage "
            "circuits and salt",
            "Fixer le niveau du plan hivernal, trancher les propositions, déclarer les conditions "
            "de circulation, gérer les circuits et le sel",
        ),
        Permission(
            "video.manage",
            "video",
            "Record camera systems, their prefectoral authorisations and their cameras' masks and signage",
            "Enregistrer les systèmes de vidéoprotection, leurs autorisations préfectorales, les masques et "
            "panneaux de leurs caméras",
        ),
        Permission(
            "video.extractions",
            "video",
            "Keep and read the register of image extractions and the audit of consultations (each "
            "reading is audited)",
            "Tenir et consulter le registre des extractions d'images et la trace des consultations "
            "(chaque consultation est tracée)",
        ),
        Permission(
            "info.manage",
            "administration",
            "Write the city's information pages for residents",
            "Rédiger les pages d'information des habitants",
        ),
        Permission(
            "users.manage",
            "administration",
            "List agents' accounts, disable or enable them and reset their passwords (which signs "
            "them out everywhere)",
            "Lister les comptes des agents, les désactiver ou les réactiver et réinitialiser leur "
            "mot de passe (ce qui les déconnecte partout)",
        ),
        Permission(
            "catalogue.manage",
            "administration",
            "Reload the catalogue of services",
            "Recharger le catalogue des services",
        ),
    )
}

# Each role holds the one before it and more: a supervisor does what an operator does.
_FIELD_AGENT = frozenset({"reports.read", "reports.work"})
_OPERATOR = _FIELD_AGENT | {
    "oplog.read",
    "oplog.write",
    "reports.all",
    "reports.triage",
    "reports.merge",
    "reports.moderate",
    "reports.intake",
    "assets.status",
    "alarms.handle",
    "traffic.read",
    "traffic.manage",
    "winter.read",
    "winter.manage",
}
_SUPERVISOR = _OPERATOR | {
    "stats.read",
    "assets.manage",
    "alarms.clear",
    "lighting.manage",
    "opendata.publish",
    "opendata.review",
    "opendata.keys",
    "info.manage",
}
_ADMIN = _SUPERVISOR | {"catalogue.manage", "opendata.committee", "users.manage"}
_OPLOG = frozenset({"oplog.read", "oplog.write"})
_VIDEO_OPERATOR = _OPLOG | {"video.cameras", "video.manage", "alarms.handle", "alarms.clear"}
_VIDEO_REGISTRAR = _OPLOG | {"video.cameras", "video.extractions"}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.FIELD_AGENT: _FIELD_AGENT,
    Role.OPERATOR: _OPERATOR,
    Role.SUPERVISOR: _SUPERVISOR,
    Role.ADMIN: _ADMIN,
    Role.VIDEO_OPERATOR: _VIDEO_OPERATOR,
    Role.VIDEO_REGISTRAR: _VIDEO_REGISTRAR,
}

ROLE_NAMES: dict[Role, tuple[str, str]] = {
    Role.FIELD_AGENT: ("field agent", "agent de terrain"),
    Role.OPERATOR: ("operator", "opérateur"),
    Role.SUPERVISOR: ("supervisor", "superviseur"),
    Role.ADMIN: ("administrator", "administrateur"),
    Role.VIDEO_OPERATOR: ("video-protection operator", "opérateur de vidéoprotection"),
    Role.VIDEO_REGISTRAR: ("extractions registrar", "référent des extractions"),
}


def allows(role: Role, permission: str) -> bool:
    """Whether ``role`` holds ``permission``; an unknown permission is a programming error."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r} (declare it in accounts/permissions.py)")
    return permission in ROLE_PERMISSIONS[role]


def roles_with(permission: str) -> list[Role]:
    return [r for r in ROLE_PERMISSIONS if allows(r, permission)]


def require(agent: Agent | None, permission: str) -> Agent:
    """The one check: the agent, or ``Unauthorized`` (nobody logged in) / ``Forbidden``."""
    if agent is None:
        raise Unauthorized("log in as an agent to do this")
    if not allows(agent.role, permission):
        what = PERMISSIONS[permission].en[0].lower() + PERMISSIONS[permission].en[1:]
        raise Forbidden(f"your role ({agent.role.value}) does not allow {permission}: {what}")
    return agent


def permissions_markdown() -> str:
    """The registry as docs/security.md shows it: one table per group, a column per role."""
    roles = list(ROLE_PERMISSIONS)
    lines: list[str] = []
    for group in GROUPS:
        lines += [
            f"**{group.en}** ({group.fr})",
            "",
            "| permission | what it allows | " + " | ".join(ROLE_NAMES[r][0] for r in roles) + " |",
            "| --- | --- | " + " | ".join(":---:" for _ in roles) + " |",
        ]
        for p in PERMISSIONS.values():
            if p.group == group.code:
                marks = " | ".join("yes" if allows(r, p.code) else "—" for r in roles)
                lines.append(f"| `{p.code}` | {p.en} | {marks} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


TABLE_START = "<!-- permissions: generated from vigie/accounts/permissions.py by `make settings-doc` -->"
TABLE_END = "<!-- end of permissions -->"


def with_permissions_table(doc: str) -> str:
    """``doc`` (docs/security.md) with its permission tables regenerated from the registry."""
    return with_section(doc, TABLE_START, TABLE_END, permissions_markdown())


def update_permissions_doc(path: str) -> None:
    rewrite_section(path, TABLE_START, TABLE_END, permissions_markdown())
