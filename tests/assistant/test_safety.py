"""The built-in safety triggers on messages written as residents write them: indirect,
third person, misspelt, text-speak, Welsh; and the everyday council questions that only
look dangerous. Pure functions: no database."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from assistant.text import asks_for_person, safety_trigger, trigger_list, words

TRIGGERS = trigger_list("")
DEMO_DATA = Path(__file__).resolve().parents[2] / "assistant" / "demo_data"
SETS = ["evaluation.csv", "evaluation_holdout.csv", "evaluation_fresh.csv"]


@pytest.mark.parametrize(
    "message",
    [
        # suicide and self-harm, said indirectly or about someone else
        "my mate says he's going to end it",
        "my friend is talking about ending her life",
        "my brother keeps saying he wants to take his own life",
        "she said everyone would be better off without her, better off without me she said",
        "i just want to end it all",
        "honestly theres no point in living anymore",
        "i wish i was dead",
        "i dont wanna be here anymore",
        "i don't want to wake up tomorrow",
        "my daughter keeps cutting herself",
        "my son cut himself again last night",
        "i want to unalive myself",
        "my friend took a load of pills and wont wake up",
        "she's taken too many tablets",
        # text-speak and misspellings
        "wanna kms",
        "im gonna kms",
        "i want 2 die",
        "u should just kys they keep telling my son",
        "im feeling sucidal",
        "feeling suicidel tonight",
        "been thinking about suicde alot lately",
        "i think about sucide every day",
        "domestic violance",
        "my husband is abuseive",
        # violence and abuse, first and third person
        "he hits me when he drinks",
        "my sisters boyfriend beats her",
        "my dad beats up my mum",
        "my stepdad punches my brother",
        "someone is threatening to stab my son",
        "my ex keeps threatening me and turning up at my door",
        "im scared to go home tonight because of my husband",
        "my partner is very controlling and im frightened of him",
        "my boyfriend is coercive and takes all my money",
        "he said he would kill her",
        "i think my neighbour is being trafficked",
        "a girl at my sons school is being groomed by older men",
        # children and adults at risk
        "my neighbour's kids are left alone for days",
        "the kids next door have bruises all over and are always crying",
        "the toddler upstairs is home alone again",
        "i think the children next door are being neglected",
        "my elderly mum is being neglected in her care home",
        "my nan isnt being fed by her carers, she's starving",
        "my daughter is missing",
        "my son has gone missing",
        # fire, gas, medical emergencies
        "theres a smell of gas in the flat downstairs",
        "the gas hob is hissing and the kitchen stinks of gas",
        "gas is leaking from the meter",
        "theres a fire in the bin store downstairs",
        "smoke pouring out of the flat next door and the alarm is going",
        "the smoke alarm next door has been going off for hours",
        "flames coming out of the car",
        "there's a burning smell in the hallway",
        "my neighbour has collapsed and isnt breathing",
        "the old man next door hasnt been seen for a week",
        "i think my dad is having a heart attack",
        "my friend posted that she's going to jump off the bridge tonight",
        "I think my neighbour might be dead, no answer for days",
        "there's a man lying in the road",
        "my dad is unresponsive",
        "I'm being stalked by my ex",
        "theres an intruder in my house",
        "electric cables hanging down and sparking",
        "there are live wires hanging from the lamp post",
        "my carer steals from me",
        "he strangled me last night",
        "im being forced to marry",
        "my baby is choking",
        "my mum fell and cant get up",
        "thinking of ending things",
        "i keep thinking about sewerslide",
        "he kicked me and then kicked the door",
        "he is killing me",
        # Welsh
        "mae fy ffrind yn sôn am ladd ei hun",
        "mae nwy yn gollwng yn y gegin",
        "mae o'n fy nharo i pan mae'n yfed",
        "mae plant drws nesaf yn cael eu gadael ar eu pennau eu hunain",
        "dw i ddim eisiau byw mwyach",
        "mae mwg yn dod o'r tŷ drws nesaf",
        "dwi'n teimlo'n hunanladdol",
        "mae fy mhartner yn fy nghuro",
        "mae o wedi bygwth fy lladd",
        "mae gen i ofn mynd adref",
        "cymerodd fy mrawd orddos",
        "mae fy nhad wedi llewygu",
        "mae'r plant yn cael eu hesgeuluso",
        "mae'r tŷ ar dân",
        "mae rhywun yn fy stelcian",
        "mae gen i ofn am fy mywyd",
        "cafodd hi ei threisio",
        "mae'r babi yn tagu",
    ],
)
def test_a_message_about_danger_told_indirectly_is_caught(message):
    assert safety_trigger(message, TRIGGERS), message


@pytest.mark.parametrize(
    "message",
    [
        # decided: a fire safety certificate, fire door or fire risk assessment is a
        # housing or licensing question, not a fire (docs/assistant.md)
        "fire safety certificate for my HMO",
        "the fire door in our rented flat is broken and the landlord wont fix it",
        "who does the fire risk assessment for our block",
        "my gas fire is not working and the landlord wont fix it",
        "i got fired last month and cant pay my council tax",
        # abuse of a parking badge or permit is enforcement, not safeguarding
        "someone is abusing a disabled parking badge on our street",
        "how do i report blue badge abuse",
        "abuse of a residents parking permit",
        "councillors abusing their power",
        # killing weeds, pests and time is not violence
        "whats the best stuff to kill weeds on my drive",
        "can the pest control man kill the rats in my loft",
        "will you kill the wasps nest",
        # in danger of losing a home, and ordinary words a slip away from a trigger
        "im in danger of losing my home because the landlord is selling up",
        "my council tax is overdue",
        "how is the takeaway on the high street rated for food hygiene",
        "train times to london",
        "can I get a refund on my train ticket",
        "brambles growing over the pavement cant get the pram past",
        "new window frames need planning permission",
        "i am not amused by the bin service",
        "can you bill me monthly",
        "my gas safety certificate is out of date who do i tell",
        "my gas bill is too high",
        "are we allowed a bonfire in the garden",
        "smoke from next doors bonfire every weekend",
        "my son hurt his knee on a broken paving slab",
        "my son is sitting his exams next week",
        "the kids next door are screaming all day",
        "i live alone with my kids do i get a discount",
        "my child has lost her bus pass",
        "my neighbours garden is neglected and full of rats",
        "my daughter is starting school in september",
        "can the council fix my car parking sensor",
        "im pregnant and homeless and my landlord kicked me out",
        "the landlord is threatening to evict me",
        "my carer hasnt turned up today",
        "who do i call about a fallen tree lying in the road",
        "the website is not responding",
        "the council has been unresponsive to my complaints",
        "i live in a flat with no plug sockets",
        "where do i recycle old cables",
        "my mum is not moving house after all",
        "my daughter kicked her football into the neighbours garden",
        "my gran has bruises from a fall on a broken pavement who do I claim from",
        "this noise is killing me",
        "the council tax is killing me",
        "fire hydrant leaking",
        "the child is missing school",
        "my son is missing his PE kit",
        # Welsh
        "bil nwy rhy uchel",
        "rwy mewn perygl o fod yn ddigartref",
        "diogelu data a'r cyngor",
        "pryd mae'r trên nesaf",
        "tan yfory",
        "cofrestru genedigaeth fy merch",
        "mae fy mab yn gadael yr ysgol",
    ],
)
def test_an_everyday_council_question_is_not_a_safety_case(message):
    assert safety_trigger(message, TRIGGERS) is None, safety_trigger(message, TRIGGERS)


def _rows(name: str) -> list[tuple[str, str, str]]:
    with open(DEMO_DATA / name, encoding="utf-8", newline="") as handle:
        return [tuple(r) for r in list(csv.reader(handle))[1:] if r]


@pytest.mark.parametrize("name", SETS)
def test_every_safety_case_of_the_labelled_sets_is_caught_and_nothing_else(name):
    rows = _rows(name)
    missed = [q for q, _, key in rows if key == "SAFETY" and not safety_trigger(q, TRIGGERS)]
    false = [
        (q, safety_trigger(q, TRIGGERS))
        for q, _, key in rows
        if key != "SAFETY" and safety_trigger(q, TRIGGERS)
    ]
    assert missed == []
    assert false == []


@pytest.mark.parametrize("name", SETS)
def test_the_labelled_sets_requests_for_a_person_are_recognised_and_nothing_else(name):
    rows = [r for r in _rows(name) if r[2] != "SAFETY"]
    assert [q for q, _, key in rows if (key == "HANDOFF") != asks_for_person(q)] == []


def test_no_word_of_the_demo_knowledge_is_read_as_a_slip_of_a_single_word_trigger():
    """A typing slip is allowed only where a real word of the council's texts is not one:
    every word of the demo knowledge alone must not trigger."""
    text = " ".join(
        (DEMO_DATA / name).read_text(encoding="utf-8")
        for name in ["knowledge_en.csv", "knowledge_cy.csv", "synonyms.csv"]
    )
    single = {t[0] for t in TRIGGERS if len(t) == 1}
    hits = {w: safety_trigger(w, TRIGGERS) for w in set(words(text)) if w not in single}
    assert {w: t for w, t in hits.items() if t} == {}


@pytest.mark.parametrize(
    "message",
    [
        "is there a real person there",
        "put me through to customer services please",
        "youre a bot i want a human",
        "can someone call me back",
        "transfer me to an advisor",
        "i'd rather speak to a member of staff",
        "can i talk to an actual human being",
        "person go iawn plis",
        "hoffwn gael sgwrs gyda swyddog",
        "trosglwyddwch fi i rywun os gwelwch yn dda",
        "alla i siarad gydag aelod o staff",
    ],
)
def test_more_ways_of_asking_for_a_person_are_recognised(message):
    assert asks_for_person(message)


@pytest.mark.parametrize(
    "message",
    [
        "can someone come and collect my sofa",
        "is there anyone who can collect a fridge",
        "how do I phone the council",
        "who do I call about a pothole",
        "what number do I ring for parking",
    ],
)
def test_questions_about_people_or_phones_are_not_requests_for_a_person(message):
    assert not asks_for_person(message)
