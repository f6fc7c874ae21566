"""Materials: upload (by content, size-limited), list, download, history and who may (R4.2, R8.1–R8.3)."""

from __future__ import annotations

import hashlib
import io

import pytest

from forms.newborn.material_codes import MATERIALS
from handlers.newborn.samples import sample_application
from tests.sample_files import DISGUISED, jpeg, pdf, png


@pytest.fixture(autouse=True)
def materials_dir(app, tmp_path):
    directory = tmp_path / "materials"
    app.config["MATERIALS_DIR"] = str(directory)
    return directory


@pytest.fixture
def instance(api, application):
    return api.start(application).get_json()


def url(instance, code=None, content=False):
    base = f"/api/process-instances/{instance['id']}/materials"
    return base + (f"/{code}" if code else "") + ("/content" if content else "")


def put(api, instance, code, body, user="portal", **kwargs):
    return api.call("PUT", url(instance, code), user, data=body, **kwargs)


def history(api, instance):
    return api.get(f"/api/process-instances/{instance['id']}/history?per_page=200", "supervisor").get_json()["items"]


def test_upload_list_download_and_history(api, instance, materials_dir):
    """R8.1: each upload and each read is recorded with who, when, the code and the hash."""
    content = pdf("结婚证")
    response = put(
        api,
        instance,
        "marriage_certificate",
        content,
        query_string={"filename": "../../结婚证.pdf"},
        content_type="image/png",
    )  # the declared type is ignored
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    sha = hashlib.sha256(content).hexdigest()
    assert body == {
        **body,
        "code": "marriage_certificate",
        "name": "结婚证",
        "version": 1,
        "filename": "结婚证.pdf",
        "media_type": "application/pdf",
        "size": len(content),
        "sha256": sha,
        "uploaded_by": "portal",
    }
    assert [p.name for p in materials_dir.iterdir()] == [sha]  # content-addressed, nothing else left behind

    image = png(2, 3)
    response = put(
        api, instance, "parent_id_cards", {"file": (io.BytesIO(image), "id.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 201 and response.get_json()["media_type"] == "image/png"

    listing = api.get(url(instance), "portal").get_json()
    assert listing["total"] == 2 and [m["code"] for m in listing["items"]] == [
        "marriage_certificate",
        "parent_id_cards",
    ]

    download = api.get(url(instance, "parent_id_cards", content=True), "midwifery")
    assert download.status_code == 200 and download.data == image
    assert download.mimetype == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["Content-Security-Policy"]

    events = [
        (e["kind"], e["actor"], e["detail"].get("code"), e["detail"].get("sha256"))
        for e in history(api, instance)
        if e["kind"].startswith("material_")
    ]
    assert events == [
        ("material_uploaded", "portal", "marriage_certificate", sha),
        ("material_uploaded", "portal", "parent_id_cards", hashlib.sha256(image).hexdigest()),
        ("material_read", "midwifery", "parent_id_cards", hashlib.sha256(image).hexdigest()),
    ]


def test_a_new_upload_replaces_the_current_version_and_keeps_the_old(api, instance, ctx):
    assert put(api, instance, "hukou_books", jpeg(b"first")).status_code == 201
    second = put(api, instance, "hukou_books", jpeg(b"second"))
    assert second.status_code == 200 and second.get_json()["version"] == 2
    assert api.get(url(instance, "hukou_books", content=True), "portal").data == jpeg(b"second")
    assert [m["version"] for m in api.get(url(instance), "portal").get_json()["items"]] == [2]
    with ctx.uow() as uow:
        assert uow.materials.last_version(instance["id"], "hukou_books") == 2


@pytest.mark.parametrize("kind", sorted(DISGUISED))
def test_anything_but_jpeg_png_or_pdf_is_415_whatever_its_name(api, instance, materials_dir, kind):
    """A renamed executable, script or archive — or a truncated image — is refused by its content."""
    response = put(
        api,
        instance,
        "birth_certificate",
        {"file": (io.BytesIO(DISGUISED[kind]), "证明.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 415, kind
    assert response.mimetype == "application/problem+json" and response.get_json()["status"] == 415
    raw = put(
        api,
        instance,
        "birth_certificate",
        DISGUISED[kind],
        content_type="application/pdf",
        query_string={"filename": "证明.pdf"},
    )
    assert raw.status_code == 415
    assert not materials_dir.exists() or not any(materials_dir.iterdir())
    assert api.get(url(instance), "portal").get_json()["total"] == 0


def test_size_limit_is_413_and_configurable(api, app, instance):
    """10 MiB by default — above the app's general request limit — and MATERIALS_MAX_BYTES lowers it."""
    assert app.config["MATERIALS_MAX_BYTES"] == 10 * 1024 * 1024
    assert put(api, instance, "invoices", pdf(size=9 * 1024 * 1024)).status_code == 201
    assert put(api, instance, "invoices", pdf(size=10 * 1024 * 1024 + 10)).status_code == 413
    app.config["MATERIALS_MAX_BYTES"] = 1000
    assert put(api, instance, "invoices", pdf(size=900)).status_code == 200
    too_big = put(api, instance, "invoices", pdf(size=1100))
    assert too_big.status_code == 413 and too_big.mimetype == "application/problem+json"
    multipart = put(
        api, instance, "invoices", {"file": (io.BytesIO(pdf(size=1100)), "a.pdf")}, content_type="multipart/form-data"
    )
    assert multipart.status_code == 413


def test_unknown_code_is_404_with_the_known_codes(api, instance):
    response = put(api, instance, "selfie", pdf())
    assert response.status_code == 404 and "marriage_certificate" in response.get_json()["detail"]
    assert api.get(url(instance, "selfie", content=True), "portal").status_code == 404
    assert api.get(url(instance, "invoices", content=True), "portal").status_code == 404  # nothing uploaded


def test_multipart_without_a_file_field_is_422(api, instance):
    response = put(
        api, instance, "invoices", {"other": (io.BytesIO(pdf()), "a.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422


def test_who_may_upload_and_read(api, clock):
    """The applicant and the departments of the chosen items (and the service centre) in their
    jurisdiction; other jurisdictions 404, other departments and roles 403 (R8.3)."""
    application = sample_application(clock.now(), items=["birth_certificate"])
    for section in ("hukou", "medical_insurance", "social_security_card", "maternity_reimbursement"):
        application.pop(section)
    instance = api.start(application).get_json()
    assert put(api, instance, "birth_certificate", pdf()).status_code == 201
    for user in ("midwifery", "midwifery2", "service_center"):
        assert put(api, instance, "guardian_id", png(), user=user).status_code in (200, 201), user
        assert api.get(url(instance, "guardian_id", content=True), user).status_code == 200, user
        assert api.get(url(instance), user).status_code == 200, user
    for user, status in (
        ("other_portal", 404),
        ("police_guizhou", 404),
        ("police", 403),
        ("supervisor", 403),
        ("admin", 403),
        ("analyst", 403),
    ):
        assert put(api, instance, "guardian_id", png(), user=user).status_code == status, user
        assert api.get(url(instance, "guardian_id", content=True), user).status_code == status, user
        assert api.get(url(instance), user).status_code == status, user
    assert api.get(url(instance)).status_code == 401


def test_no_uploads_once_the_application_has_ended(api, instance):
    assert api.post(f"/api/process-instances/{instance['id']}/cancel", "portal", json={}).status_code == 200
    assert put(api, instance, "invoices", pdf()).status_code == 409


def test_the_openapi_document_describes_the_upload(api):
    """Raw bytes or multipart ``file``; the fixed list of codes; 413 and 415 as problem+json."""
    path = api.get("/api/openapi.json").get_json()["paths"]["/api/process-instances/{instance_id}/materials/{code}"]
    body = path["put"]["requestBody"]["content"]
    assert body["application/octet-stream"]["schema"] == {"type": "string", "format": "binary"}
    assert body["multipart/form-data"]["schema"]["required"] == ["file"]
    [code] = [p for p in path["parameters"] if p["name"] == "code"]
    assert set(code["schema"]["enum"]) == set(MATERIALS)
    for status in ("413", "415"):
        assert "application/problem+json" in path["put"]["responses"][status]["content"]
