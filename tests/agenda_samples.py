"""Agendas used by several tests, modelled on the concept note in ../shared/examples."""

EXPERT_MEETING = """
event:
  title: Thematic meeting on diplomacy, development and integrated planning in fragile states
  starts_on: 2008-02-11
  ends_on: 2008-02-12
  place: Oslo, Norway
  timezone: Europe/Oslo
  description: Review of good practice linking development efforts to diplomatic efforts.
  disclaimer: The views expressed do not necessarily represent those of the organisers.
sessions:
  - title: Good practice during crisis
    date: 2008-02-11
    start: "09:30"
    end: "11:00"
    track: Plenary
    moderator: Chair, Norwegian MFA
    institutional_lead: OECD DAC
    thematic_focus: What are good-practice lessons for interaction between diplomacy and development during crisis?
    prompts:
      - challenge: What made interaction between diplomatic and development actors difficult?
      - recommendation: What should bilateral actors do differently?
      - question: What remains unresolved?
  - title: Planning modalities
    date: 2008-02-12
    start: "09:00"
    end: "10:30"
    track: Room B
    anonymity: anonymous
    prompts:
      - challenge: Do revised planning tools address the challenges observed?
      - recommendation: How can bilateral actors support improved planning processes?
  - title: Funding modalities
    date: 2008-02-12
    start: "09:00"
    end: "10:30"
    track: Room C
    prompts:
      - takeaway: Are present funding modalities sufficient for an integrated effort?
"""

# The whole concept note of ../shared/examples/concept-note.txt: hosts, chair and rapporteurs,
# objectives, expected size, background papers, contacts, and the tentative agenda's sessions with
# their discussion questions, two of them in parallel.
CONCEPT_NOTE = """
event:
  key: oslo-fragile-states-2008
  title: Thematic meeting on diplomacy, development and integrated planning in fragile states
  starts_on: 2008-02-11
  ends_on: 2008-02-12
  place: Oslo, Norway
  timezone: Europe/Oslo
  description: >-
    Review experiences and good practice of linking (or not linking) development efforts in fragile
    and crisis-affected states to diplomatic/political efforts, and ongoing multilateral processes
    for integrated planning and implementation of peacebuilding.
  hosts:
    - Norwegian Ministry of Foreign Affairs
    - Norad
    - United Nations
    - World Bank
    - OECD Development Assistance Committee
  chair: To be defined
  rapporteurs: ["@oecd_rapporteur"]
  objectives:
    - Promote a common understanding of lessons and best practices from interactions between diplomacy, peacebuilding and development
    - Summarise and consolidate conclusions and recommendations on integrated planning
    - Discuss and agree on improved coordination mechanisms and financing
    - Identify strategic recommendations for the OECD/DAC senior officials meeting
  expected_participants: 60
  background_papers:
    - Discussion paper summarising country cases of linking peacemaking with development
    - Update on donor country inter-ministerial coherence
    - Outcomes and status of multilateral integrated planning processes
    - Overview of recent DAC, UN, WB and OECD policy documents on fragile states
  contacts:
    - "Arve Ofstad <arve.ofstad@norad.no>"
    - "Tone Tinnes <tone.tinnes@mfa.no>"
  disclaimer: The views expressed do not necessarily represent those of the organisers.
sessions:
  - key: during-crisis
    title: During crisis
    date: 2008-02-11
    start: 9am
    end: "10:30"
    track: Plenary
    chair: Norwegian MFA
    co_hosts: [Norad]
    speakers: [Country case presenter]
    rapporteurs: ["@crisis_rapporteur"]
    thematic_focus: "During crisis (pre-settlement/peace accord), what are good practice lessons for interaction between diplomacy and development?"
    prompts:
      - challenge: What made interaction between diplomatic and development actors difficult during crisis?
      - takeaway: Which good practice lessons stand out (root causes, inclusion, sanctions, governance)?
  - key: early-post-settlement
    title: Early post-settlement phase
    date: 2008-02-11
    start: "11:00"
    end: "12:30"
    track: Plenary
    prompts:
      - question: How do diplomatic and development actors contribute to consolidating peace while balancing political transformation and immediate results?
      - recommendation: What should change in how state-building and longer-term investments are sequenced?
  - key: conflicting-interests
    title: Reconciling donor interests
    date: 2008-02-11
    start: 2pm
    end: 3:30pm
    prompts:
      - challenge: Where do security and political interests conflict with longer-term national development?
      - recommendation: How can synergy with non-aid instruments of international partners be promoted?
  - key: peace-processes
    title: Comprehensive or focused peace processes
    date: 2008-02-11
    start: "16:00"
    end: "17:30"
    prompts:
      - question: Should peace agreements be between parties in conflict or more inclusive?
      - recommendation: How can development and diplomatic actors contribute to more inclusive peace processes?
  - key: planning-modalities
    title: Planning modalities
    date: 2008-02-12
    start: "09:00"
    end: "10:30"
    track: Room B
    anonymity: anonymous
    prompts:
      - question: What are your views on the revised tools (IMPP, PCNA, CAP) and the linkages between them?
      - recommendation: How can bilateral actors support these processes globally and at country level?
  - key: integrated-responses
    title: Integrated responses
    date: 2008-02-12
    start: "09:00"
    end: "10:30"
    track: Room C
    prompts:
      - question: What is the role of bilateral actors in supporting complex, multidimensional mandates?
      - recommendation: How should long-term objectives be backstopped with predictable resources?
  - key: funding-modalities
    title: Funding modalities
    date: 2008-02-12
    start: "11:00"
    end: "12:30"
    track: Plenary
    prompts:
      - takeaway: Are present funding modalities sufficient for an integrated diplomatic/development effort?
      - question: Is sufficient notice taken of non-traditional channels of financing?
"""
