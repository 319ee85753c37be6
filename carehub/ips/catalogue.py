"""The words of the IPS narrative, in Vietnamese (the default) and English.

https://hl7.org/fhir/uv/ips/STU2/Design-conventions-and-principles.html#narrative-and-language-translation

One message key → one text per language. :func:`text` looks a key up;
:func:`choose_language` picks the language from ``?_language=`` or the
``Accept-Language`` header.
"""

from __future__ import annotations

from carehub.errors import Fault, Incorrect, did_you_mean

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (vi, en)
    "document.title": ("Bản tóm tắt hồ sơ bệnh nhân quốc tế", "International Patient Summary"),
    "document.author": ("Hệ thống CareHub", "CareHub"),
    "section.sectionProblems": ("Danh sách vấn đề sức khỏe", "Problem List"),
    "section.sectionPastProblems": ("Tiền sử bệnh", "History of Past Illness"),
    "section.sectionAllergies": ("Dị ứng và không dung nạp", "Allergies and Intolerances"),
    "section.sectionMedications": ("Tóm tắt dùng thuốc", "Medication Summary"),
    "section.sectionImmunizations": ("Tiêm chủng", "Immunizations"),
    "section.sectionResults": ("Kết quả xét nghiệm và chẩn đoán", "Results"),
    "section.sectionProceduresHx": ("Tiền sử thủ thuật", "History of Procedures"),
    "section.sectionVitalSigns": ("Dấu hiệu sinh tồn", "Vital Signs"),
    "empty.sectionProblems": (
        "Không có thông tin về các vấn đề sức khỏe của người bệnh.",
        "There is no information available about the subject's health problems.",
    ),
    "empty.sectionAllergies": (
        "Không có thông tin về dị ứng của người bệnh.",
        "There is no information available regarding the subject's allergies.",
    ),
    "empty.sectionMedications": (
        "Không có thông tin về việc dùng thuốc của người bệnh.",
        "There is no information available about the subject's medication use.",
    ),
    "empty.reason": ("Không có thông tin", "No information available"),
    "col.problem": ("Vấn đề", "Problem"),
    "col.code": ("Mã", "Code"),
    "col.status": ("Tình trạng", "Status"),
    "col.onset": ("Khởi phát", "Onset"),
    "col.resolved": ("Khỏi", "Resolved"),
    "col.substance": ("Tác nhân", "Substance"),
    "col.criticality": ("Mức độ nguy hiểm", "Criticality"),
    "col.medication": ("Thuốc", "Medication"),
    "col.period": ("Thời gian", "Period"),
    "col.dosage": ("Liều dùng", "Dosage"),
    "col.vaccine": ("Vắc xin", "Vaccine"),
    "col.date": ("Ngày", "Date"),
    "col.test": ("Xét nghiệm / chẩn đoán", "Test"),
    "col.result": ("Kết quả", "Result"),
    "col.procedure": ("Thủ thuật", "Procedure"),
    "col.measure": ("Chỉ số", "Measurement"),
    "patient.name": ("Họ tên", "Name"),
    "patient.birth_date": ("Ngày sinh", "Date of birth"),
    "patient.gender": ("Giới tính", "Gender"),
    "patient.identifier": ("Mã định danh", "Identifiers"),
    "document.date": ("Ngày lập", "Date"),
    "gender.male": ("Nam", "Male"),
    "gender.female": ("Nữ", "Female"),
    "gender.other": ("Khác", "Other"),
    "gender.unknown": ("Không rõ", "Unknown"),
    "status.active": ("Đang tiến triển", "Active"),
    "status.recurrence": ("Tái phát", "Recurrence"),
    "status.relapse": ("Tái phát", "Relapse"),
    "status.inactive": ("Không hoạt động", "Inactive"),
    "status.remission": ("Thuyên giảm", "Remission"),
    "status.resolved": ("Đã khỏi", "Resolved"),
    "status.completed": ("Đã hoàn thành", "Completed"),
    "status.intended": ("Dự định", "Intended"),
    "status.stopped": ("Đã ngừng", "Stopped"),
    "status.on-hold": ("Tạm ngừng", "On hold"),
    "status.final": ("Chính thức", "Final"),
    "status.amended": ("Đã sửa đổi", "Amended"),
    "status.corrected": ("Đã hiệu chỉnh", "Corrected"),
    "status.preliminary": ("Sơ bộ", "Preliminary"),
    "status.available": ("Có sẵn", "Available"),
    "status.not-done": ("Không thực hiện", "Not done"),
    "status.unknown": ("Không rõ", "Unknown"),
    "criticality.low": ("Thấp", "Low"),
    "criticality.high": ("Cao", "High"),
    "criticality.unable-to-assess": ("Không đánh giá được", "Unable to assess"),
}


def text(key: str, language: str) -> str:
    """The text of message ``key`` in ``language``.

    Raises:
        Fault: no such message (a bug: keys are CareHub's own).

    >>> text("gender.female", "vi"), text("gender.female", "en")
    ('Nữ', 'Female')
    """
    try:
        pair = MESSAGES[key]
    except KeyError:
        raise Fault(f"no IPS narrative message '{key}'") from None
    return pair[LANGUAGES.index(language)] if language in LANGUAGES else pair[0]


def status_text(code: str | None, language: str) -> str:
    """A status code in words, or the code itself when the catalogue lacks it.

    >>> status_text("resolved", "vi"), status_text("weird", "en"), status_text(None, "en")
    ('Đã khỏi', 'weird', '')
    """
    if not code:
        return ""
    key = f"status.{code}"
    return text(key, language) if key in MESSAGES else code


def _accepted(header: str) -> list[str]:
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for p in params.split(";"):
            key, _, value = p.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, i, tag.strip().lower()))
    return [tag for _, _, tag in sorted(ranked)]


def choose_language(explicit: str | None, accept_language: str | None) -> str:
    """The narrative language: ``?_language=`` first, then ``Accept-Language``, else ``vi``.

    Raises:
        Incorrect: ``_language`` names a language CareHub does not write.

    >>> choose_language(None, "en-GB,en;q=0.8,vi;q=0.5")
    'en'
    >>> choose_language("vi-VN", "en"), choose_language(None, "fr, de"), choose_language(None, None)
    ('vi', 'vi', 'vi')
    """
    if explicit:
        primary = explicit.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            raise Incorrect(
                f"_language '{explicit}' is not supported; use one of {', '.join(LANGUAGES)}."
                + did_you_mean(primary, LANGUAGES),
                expression="_language",
            )
        return primary
    for tag in _accepted(accept_language or ""):
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE
