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
