"""The shipped codebooks: they load, carry the verbatim HBSC 2017/18 wording, and mark illustrative items."""

from __future__ import annotations

import re

import pytest

from cbss_analysis.survey.codebook import available_codebooks, load_codebook, rule_variables

SHIPPED = ["cbss_online_risk", "cbss_synthetic", "hbsc2018_oa"]
PRIORITY_AREAS = {"prevention", "child_friendly_justice", "alternative_care", "sexual_violence", "trafficking", "migration"}

# Verbatim wording as printed in the HBSC2018OAed1.1 study documentation (apostrophes and quotes as printed;
# issue #16), copied independently of the YAML.
BULLYING_PREAMBLE = (
    "Here are some questions about bullying. We say a person is being bullied when another person or a group of "
    "people, repeatedly say or do unwanted nasty and unpleasant things to him or her. It also is bullying when a "
    "person is teased in a way he or she does not like or when he or she is left out of things on purpose. The "
    "person that bullies has more power than the person being bullied and wants to cause harm to him or her. It is "
    "not bullying when two people of about the same strength or power argue or fight."
)
ONLINE_CONTACT = (
    "The next questions are about 'online contact' and 'online communication'. When we use these terms we mean "
    "'sending and receiving text messages, emoticons, and photo, video or audio messages through instant messaging "
    "([insert local examples e.g. Viber, WhatsApp]), social network sites (e.g. Facebook, [add local examples]) or "
    "e-mail (on a computer, laptop, tablet, or smartphone)'. How often do you have ONLINE contact with the following "
    "people? Please tick one box for each line."
)
ONLINE_CONTACT_CURLY = (  # emconlfreq1 prints curly quotes, emconlfreq2-4 straight ones
    ONLINE_CONTACT.replace("'online contact' and 'online communication'", "‘online contact’ and ‘online communication’")
    .replace("mean 'sending", "mean ‘sending").replace("smartphone)'", "smartphone)’")
)
SMD = (
    "We are interested in your experiences with social media . The term social media refers to social network sites "
    "(e.g. Facebook, [add other local examples]) and instant messengers (e.g. [insert local examples], WhatsApp, "
    "Snapchat, Facebook messenger). During the past year, have you…. Please tick one box for each line."
)
TALK = "How easy is it for you to talk to the following persons about things that really bother you?"
WORDING = {
    "beenbullied": [BULLYING_PREAMBLE, "How often have you been bullied at school in the past couple of months?"],
    "bulliedothers": [BULLYING_PREAMBLE, "How often have you taken part in bullying another person(s) at school in the past couple of months?"],
    "cbeenbullied": [
        "In the past couple of months how often have you been cyberbullied (e.g., someone sent mean instant messages, "
        "email or text messages about you; wall postings; created a website making fun of you; posted unflattering or "
        "inappropriate pictures of you online without permission or shared them with others)?"
    ],
    "cbulliedothers": [
        "In the past couple of months how often have you taken part in cyberbullying (e.g., sent mean instant messages, "
        "email or text messages; wall postings; created a website making fun of someone; posted unflattering or "
        "inappropriate pictures online without permission or shared them with others)?"
    ],
    "emconlfreq1": [ONLINE_CONTACT_CURLY],
    **{f"emconlfreq{i}": [ONLINE_CONTACT] for i in range(2, 5)},
    "emconlpref1": ["On the internet, I talk more easily about secrets than in a face-to-face encounter"],
    "emconlpref2": ["On the internet, I talk more easily about my inner feelings than in a face-to-face encounter"],
    "emconlpref3": ["On the internet, I talk more easily about my concerns than in a face-to-face encounter"],
    "emcsocmed1": [SMD, "... regularly found that you can’t think of anything else but the moment that you will be able to use social media again?"],
    "emcsocmed2": [SMD, "... regularly felt dissatisfied because you wanted to spend more time on social media?"],
    "emcsocmed3": [SMD, "... often felt bad when you could not use social media?"],
    "emcsocmed4": [SMD, "... tried to spend less time on social media, but failed?"],
    "emcsocmed5": [SMD, "... regularly neglected other activities (e.g. hobbies, sport) because you wanted to use social media?"],
    "emcsocmed6": [SMD, "... regularly had arguments with others because of your social media use?"],
    "emcsocmed7": [SMD, "... regularly lied to your parents or friends about the amount of time you spend on social media?"],
    "emcsocmed8": [SMD, "... often used social media to escape from negative feelings?"],
    "emcsocmed9": [SMD, "… had serious conflict with your parents, brother(s) or sister(s) because of your social media use?"],
    "hadsex": [
        'Have you ever had sexual intercourse (sometimes this is called "making love" "having sex" or "going all the '
        'way” [or other appropriate colloquial terms])?'
    ],
    "agesex": ["How old were you when you had sexual intercourse for the first time?"],
    "contraceptcondom": ["The last time you had sexual intercourse, did you or your partner use a condom?"],
    "contraceptpill": ["The last time you had sexual intercourse, did you or your partner use birth control pills?"],
    "talkfather": [TALK], "talkmother": [TALK], "talkstepfa": [TALK], "talkstepmo": [TALK],
    "famtalk": ["I can talk about my problems with my family"],
    "famhelp": ["My family really tries to help me"],
    "famsup": ["I get the emotional help and support I need from my family"],
    "famdec": ["My family is willing to help me make decisions"],
    "friendtalk": ["I can talk about my problems with my friends"],
    "friendhelp": ["My friends really try to help me"],
    "sex": ["Are you a girl or a boy?"],
}
FREQ5 = {1: "Haven’t", 2: "Once or twice", 3: "2-3 times per month", 4: "Once a week", 5: "Several times a week"}
CODES = {
    **dict.fromkeys(("beenbullied", "bulliedothers", "cbeenbullied", "cbulliedothers"), FREQ5),
    **{f"emconlfreq{i}": {1: "Don’t know/NA", 2: "Never/almost never", 3: "Every week", 4: "Daily",
                          5: "Several times daily", 6: "Almost all the time"} for i in range(1, 5)},
    **{f"emconlpref{i}": {1: "Strongly disagree", 2: "Disagree", 3: "Neither/nor", 4: "Agree", 5: "Strongly agree"}
       for i in range(1, 4)},
    **{f"emcsocmed{i}": {1: "No", 2: "Yes"} for i in range(1, 10)},
    "hadsex": {1: "Yes", 2: "No"},
    "agesex": {1: "11 years or younger", 2: "12 years", 3: "13 years", 4: "14 years", 5: "15 years", 6: "16 years and older"},
    "contraceptcondom": {1: "Yes", 2: "No", 3: "Don't know"},
    "contraceptpill": {1: "Yes", 2: "No", 3: "Don't know"},
    **{name: {1: "Very easy", 2: "Easy", 3: "Difficult", 4: "Very difficult", 5: "Don’t have or see"}
       for name in ("talkfather", "talkmother", "talkstepfa", "talkstepmo")},
    **{name: {1: "Very strongly disagree", 2: "2", 3: "3", 4: "4", 5: "5", 6: "6", 7: "Very strongly agree"}
       for name in ("famhelp", "famsup", "famtalk", "famdec", "friendhelp", "friendcounton", "friendshare", "friendtalk")},
}


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_codebook_loads(name):
    codebook = load_codebook(name)
    assert codebook.name == name
    assert codebook.variables and codebook.indicators


def test_the_shipped_set():
    assert set(SHIPPED) <= set(available_codebooks())


def test_hbsc_items_carry_the_verbatim_wording_and_codes():
    codebook = load_codebook("hbsc2018_oa")
    for name, fragments in WORDING.items():
        question = _flat(codebook.variable(name).question)
        for fragment in fragments:
            assert _flat(fragment) in question, (name, fragment)
    for name, values in CODES.items():
        assert dict(codebook.variable(name).values) == values, name
    for name in [f"emconlpref{i}" for i in range(1, 4)] + [f"emcsocmed{i}" for i in range(1, 10)]:
        assert codebook.variable(name).missing == (99,), name


def test_hbsc_design_and_demographics():
    codebook = load_codebook("hbsc2018_oa")
    assert codebook.state_variable == "countryno"
    assert (codebook.design.weight, codebook.design.strata, codebook.design.psu, codebook.design.nest) == (
        "weight", ("countryno", "id1"), "cluster", True)
    assert dict(codebook.variable("sex").values) == {1: "Boy", 2: "Girl"}
    assert "male" in codebook.variable("sex").source and "female" in codebook.variable("sex").source
    assert dict(codebook.variable("agecat").values) == {1: "11-year-olds", 2: "13-year-olds", 3: "15-year-olds"}
    assert codebook.variable("hadsex").asked_of == {"agecat": (3,)}
    assert codebook.variable("contraceptcondom").asked_of == {"agecat": (3,), "hadsex": (1,)}


def test_unverified_wording_says_so():
    codebook = load_codebook("hbsc2018_oa")
    for name in ("friendcounton", "friendshare", "teacheraccept", "teachercare", "teachertrust"):  # verified in #16
        assert "VERIFIED against the documentation" in codebook.variable(name).source, name
        assert "NOT verified" not in codebook.variable(name).source, name
    assert "memory" in codebook.indicator("psmu").source and "confidence L" in codebook.indicator("psmu").source


def test_online_risk_module_is_marked_illustrative():
    codebook = load_codebook("cbss_online_risk")
    assert "ILLUSTRATIVE" in codebook.title
    module = [v for v in codebook.variables.values() if v.module == "online_risk"]
    assert len(module) >= 10
    for variable in module:
        assert "ILLUSTRATIVE" in variable.source, variable.name
        assert variable.asked_of.get("agecat") == (2, 3), variable.name
        assert variable.missing == (99,), variable.name
    assert {v.name for v in module if v.reverse} == {"att_share_wrong", "att_right_no"}


def test_synthetic_codebook_is_flagged():
    codebook = load_codebook("cbss_synthetic")
    assert codebook.synthetic is True
    assert codebook.title.startswith("SYNTHETIC DATA")
    assert set(load_codebook("hbsc2018_oa").variables) | set(load_codebook("cbss_online_risk").variables) == set(codebook.variables)
    assert codebook.design == load_codebook("hbsc2018_oa").design


@pytest.mark.parametrize("name", SHIPPED)
def test_indicator_rules_name_known_variables_and_codes(name):
    codebook = load_codebook(name)
    for indicator in codebook.indicators.values():
        assert set(rule_variables(indicator)) <= set(codebook.variables), indicator.id
        assert indicator.priority_areas and set(indicator.priority_areas) <= PRIORITY_AREAS, indicator.id
        kind, argument = next(iter(indicator.rule.items()))
        if kind == "in":
            assert set(argument) <= set(codebook.variable(indicator.variables[0]).values), indicator.id
        elif kind == "at_least":
            assert argument in codebook.variable(indicator.variables[0]).values, indicator.id
        elif kind == "count_at_least":
            for item in argument["items"]:
                assert set(argument["codes"]) <= set(codebook.variable(item).values), (indicator.id, item)
        for variable, codes in indicator.population.items():
            assert set(codes) <= set(codebook.variable(variable).values), (indicator.id, variable)
