"""The member lifecycle as rules over a state: which event may happen in which state, and what it leads to.
Pure functions; the service records the event, the new period and the new state in one transaction."""

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from app.domain.errors import Conflict
from app.domain.plans.status import add_months

TERMINAL = frozenset({"transferred_out", "expelled", "struck_off", "resigned", "deceased"})
MEMBERS = frozenset({"probationary", "official"})


class EventKind(StrEnum):
    admit = "admit"  # candidate → probationary
    recognize = "recognize"  # probationary → official (official date = admission ceremony + 12 months)
    fail_probation = "fail_probation"  # probationary → struck off
    transfer = "transfer"  # official transfer: to another organisation of the tree, or out
    temporary_transfer = "temporary_transfer"  # keeps the home organisation; counted only there
    return_from_temporary = "return_from_temporary"
    exempt = "exempt"  # exemption from activity (still counted, not rated)
    end_exemption = "end_exemption"
    suspend = "suspend"
    end_suspension = "end_suspension"
    expel = "expel"
    strike_off = "strike_off"
    resign = "resign"  # cho ra khỏi Đảng
    die = "die"


# Discipline (kỷ luật) is sensitive: who was suspended or expelled, and why, only for readers with pii.
DISCIPLINE = frozenset({EventKind.suspend, EventKind.end_suspension, EventKind.expel})

LABELS_VI: dict[EventKind, str] = {
    EventKind.admit: "Kết nạp",
    EventKind.recognize: "Công nhận đảng viên chính thức",
    EventKind.fail_probation: "Không công nhận đảng viên chính thức (xóa tên)",
    EventKind.transfer: "Chuyển sinh hoạt đảng chính thức",
    EventKind.temporary_transfer: "Chuyển sinh hoạt đảng tạm thời",
    EventKind.return_from_temporary: "Trở lại sinh hoạt sau chuyển tạm thời",
    EventKind.exempt: "Miễn công tác và sinh hoạt đảng",
    EventKind.end_exemption: "Thôi miễn sinh hoạt",
    EventKind.suspend: "Đình chỉ sinh hoạt",
    EventKind.end_suspension: "Hết đình chỉ sinh hoạt",
    EventKind.expel: "Khai trừ",
    EventKind.strike_off: "Xóa tên",
    EventKind.resign: "Cho ra khỏi Đảng",
    EventKind.die: "Từ trần",
}


@dataclass(frozen=True)
class MemberState:
    status: str
    organization_id: str
    host_organization_id: str | None
    temporarily_away: bool
    exempt: bool
    suspended: bool
    admission_decision_date: date | None
    official_date: date | None
    admission_ceremony_date: date | None = None


def probation_anchor(decision: date, ceremony: date | None) -> date:
    """Probation is counted from the admission ceremony (Charter art. 5.1: "tính từ ngày chi bộ tổ chức lễ kết
    nạp"); a record whose ceremony is not known falls back to the decision, the earliest the ceremony can be."""
    return ceremony if ceremony is not None else decision


def check_ceremony(decision: date | None, ceremony: date | None) -> None:
    """The ceremony admits the person the decision admitted: it cannot come first."""
    if decision is not None and ceremony is not None and ceremony < decision:
        raise _refuse(
            "ceremony_before_decision",
            f"The admission ceremony ({ceremony}) cannot precede the admission decision ({decision}).",
        )


def _refuse(rule: str, detail: str) -> Conflict:
    return Conflict(detail, code=rule)


def apply(
    state: MemberState,
    kind: EventKind,
    *,
    on: date,
    to_organization_id: str | None = None,
    leaves_tree: bool = False,
    probation_months: int = 12,
    ceremony_date: date | None = None,
) -> MemberState:
    """The state after `kind` on `on`, or a Conflict naming the rule that forbids it."""
    status = state.status
    if status in TERMINAL:
        raise _refuse("terminal_status", f"The member's record is closed ({status}); no event can follow.")
    if kind == EventKind.admit:
        if status != "candidate":
            raise _refuse("not_a_candidate", f"Only a candidate can be admitted; this person is {status}.")
        check_ceremony(on, ceremony_date)
        return replace(
            state,
            status="probationary",
            admission_decision_date=on,
            admission_ceremony_date=ceremony_date,
            official_date=None,
        )
    if status == "candidate":
        if kind == EventKind.die:
            return replace(state, status="deceased")
        raise _refuse("not_yet_admitted", f"A candidate can be admitted, nothing else ({kind.value} refused).")
    admitted = state.admission_decision_date
    if admitted is not None and on < admitted:
        raise _refuse("before_admission", f"The event ({on}) cannot be dated before the admission ({admitted}).")
    if kind == EventKind.recognize:
        if status != "probationary":
            raise _refuse("not_probationary", f"Only a probationary member can be recognised; this one is {status}.")
        assert admitted is not None
        anchor = probation_anchor(admitted, state.admission_ceremony_date)
        due = add_months(anchor, probation_months)
        if on < due:
            counted_from = (
                "ceremony" if state.admission_ceremony_date is not None else "decision (no ceremony recorded)"
            )
            raise _refuse(
                "probation_not_over",
                f"Probation is counted from the admission {counted_from} ({anchor}) and ends on {due} "
                f"({probation_months} months); recognition cannot be dated {on}.",
            )
        return replace(state, status="official", official_date=due)
    if kind == EventKind.fail_probation:
        if status != "probationary":
            raise _refuse("not_probationary", f"Only a probationary member can fail probation; this one is {status}.")
        return replace(state, status="struck_off")
    if kind == EventKind.transfer:
        if leaves_tree:
            return replace(state, status="transferred_out", host_organization_id=None, temporarily_away=False)
        if to_organization_id is None:
            raise _refuse(
                "transfer_destination",
                "Say where the member goes: `to_organization_id` in this service's tree, or `destination` outside it.",
            )
        if to_organization_id == state.organization_id:
            raise _refuse("same_organization", "The member already belongs to that organisation.")
        return replace(state, organization_id=to_organization_id, host_organization_id=None, temporarily_away=False)
    if kind == EventKind.temporary_transfer:
        if state.temporarily_away:
            raise _refuse("already_away", "The member is already temporarily transferred; record the return first.")
        return replace(state, temporarily_away=True, host_organization_id=to_organization_id)
    if kind == EventKind.return_from_temporary:
        if not state.temporarily_away:
            raise _refuse("not_away", "The member is not temporarily transferred.")
        return replace(state, temporarily_away=False, host_organization_id=None)
    if kind == EventKind.exempt:
        if state.exempt:
            raise _refuse("already_exempt", "The member is already exempt from activity.")
        return replace(state, exempt=True)
    if kind == EventKind.end_exemption:
        if not state.exempt:
            raise _refuse("not_exempt", "The member is not exempt from activity.")
        return replace(state, exempt=False)
    if kind == EventKind.suspend:
        if state.suspended:
            raise _refuse("already_suspended", "The member is already suspended.")
        return replace(state, suspended=True)
    if kind == EventKind.end_suspension:
        if not state.suspended:
            raise _refuse("not_suspended", "The member is not suspended.")
        return replace(state, suspended=False)
    if kind == EventKind.expel and status == "probationary":
        raise _refuse(
            "probationary_cannot_be_expelled",
            "A probationary member is disciplined by reprimand or warning only (Charter art. 35.2); one who no longer "
            "deserves membership fails probation (fail_probation) instead of being expelled.",
        )
    final = {
        EventKind.expel: "expelled",
        EventKind.strike_off: "struck_off",
        EventKind.resign: "resigned",
        EventKind.die: "deceased",
    }
    return replace(state, status=final[kind], host_organization_id=None, temporarily_away=False)
