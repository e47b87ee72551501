"""What the offline demo's people say: a forum session modelled on a real session report
("How to realize the security–development nexus?", Stockholm Forum on Peace and Development)."""

from __future__ import annotations

AGENDA = """
event:
  title: "From Crisis Response to Peacebuilding: Achieving Synergies"
  starts_on: 2019-05-14
  ends_on: 2019-05-16
  place: Stockholm, Sweden
  timezone: Europe/Stockholm
  disclaimer: >-
    This session report was produced onsite at the Forum. The report aims to reflect the session
    discussion. The views, information or opinions expressed do not necessarily represent those
    of the organisers or other institutes associated with the session.
sessions:
  - title: How to realize the security–development nexus?
    date: 2019-05-15
    start: "09:00"
    end: "10:30"
    track: Room A
    institutional_lead: The Brookings Institution
    moderator: Director-General, International Development Cooperation, Ministry for Foreign Affairs
    thematic_focus: >-
      Scholars and practitioners have acknowledged a security–development nexus for over 25 years,
      yet there are few examples of operations that successfully navigated its challenges. What
      would it take for national and international actors to develop for security and secure development?
    prompts:
      - challenge: What stands in the way of implementing the security–development nexus in practice?
      - recommendation: What should actors do differently to work together across security and development?
"""

# (name, organisation, community, challenges, recommendations)
PEOPLE: list[tuple[str, str, str, list[str], list[str]]] = [
    (
        "Amira Haddad",
        "UNDP",
        "development",
        ["Donors still fund in silos; each agency reports to its own capital."],
        ["Agree one shared timeline with donor states before programming starts."],
    ),
    (
        "Lars Berg",
        "Ministry for Foreign Affairs",
        "diplomacy",
        ["The architecture is not designed for collective work across the nexus."],
        ["Invest in leadership that can cut through bureaucracy, not only in UN reform."],
    ),
    (
        "Col. Fatima Diallo",
        "AU Peace Support",
        "security",
        ["Security gains are undone when development money arrives two years late."],
        ["Plan security and development support as one package from day one."],
    ),
    (
        "Jonas Lindqvist",
        "Sida",
        "development",
        ["Different time horizons: missions think in months, development in decades."],
        ["Create pooled funds that both security and development actors can draw on."],
    ),
    (
        "Nour El-Sayed",
        "ICRC",
        "humanitarian",
        ["Humanitarian principles make joint planning with military actors difficult."],
        ["Keep humanitarian action distinct but share analysis early & often."],
    ),
    (
        "Peter Okafor",
        "World Bank",
        "development",
        ["Bureaucratic procedures slow down joint programming on the ground."],
        ["Simplify approval rules so country teams can act together quickly."],
    ),
    (
        "Ingrid Solheim",
        "NUPI",
        "security",
        ["There is consensus on the nexus in theory but not on how to do it."],
        ["Design collective work into every stage, from analysis to evaluation."],
    ),
    (
        "Karim Benali",
        "EU Delegation",
        "diplomacy",
        ["Reconciliation between factions blocks a state that represents everyone."],
        ["Make inclusive state institutions the shared goal of diplomatic and development support."],
    ),
    (
        "Sofia Martins",
        "OECD DAC",
        "development",
        ["Donors compete for visibility instead of working collectively."],
        ["Report results jointly instead of by agency logo."],
    ),
    (
        "Ahmed Yusuf",
        "IGAD",
        "security",
        ["Security institutions are built without thinking of the economy around them."],
        ["Pair every security sector reform with jobs and basic services."],
    ),
    (
        "Elin Karlsson",
        "SIPRI",
        "other",
        ["Few operations have evidence of what actually worked across the nexus."],
        ["Fund independent evaluation of joint operations and publish it."],
    ),
    (
        "Daniel Mensah",
        "UNHCR",
        "humanitarian",
        ["Linking humanitarian and development assistance remains hard in protracted crises."],
        ["Start development planning while the humanitarian response is still running."],
    ),
    (
        "Hanna Virtanen",
        "Finnish MFA",
        "diplomacy",
        ["Honest conversation between actors is rare; meetings stay diplomatic."],
        ["Hold candid, off-the-record dialogues between security and development leaders."],
    ),
    (
        "Miguel Torres",
        "UN DPPA",
        "diplomacy",
        ["UN reform is slow and cannot be the only answer."],
        ["Give resident coordinators real authority over joint planning."],
    ),
    (
        "Grace Wanjiru",
        "Saferworld",
        "other",
        ["Local communities are consulted too late, if at all."],
        ["Bring local civil society into joint analysis from the start."],
    ),
    (
        "Tomasz Nowak",
        "NATO",
        "security",
        ["Information sharing between military and civilian actors is limited by classification rules."],
        ["Agree on shared, unclassified conflict analysis products."],
    ),
    (
        "Leila Rahimi",
        "UNICEF",
        "humanitarian",
        ["Short funding cycles force short-term thinking."],
        ["Move to multi-year, flexible funding for fragile contexts."],
    ),
    (
        "Johan Ek",
        "FBA",
        "security",
        ["Staff rotate too quickly to build trust across institutions."],
        ["Second staff between security and development agencies for longer periods."],
    ),
    (
        "Chloé Dubois",
        "AFD",
        "development",
        ["Risk aversion keeps development actors away from insecure areas."],
        ["Accept more risk and share it between donors through joint instruments."],
    ),
    (
        "Ravi Menon",
        "IPI",
        "other",
        ["Innovation in how collective work is designed is missing."],
        ["Pilot new ways of working together early, and scale what works."],
    ),
]
