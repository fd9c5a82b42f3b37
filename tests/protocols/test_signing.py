"""Signed protocol files: keys, the embedded SSHSIG signature, trust, and OpenSSH interop."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from iastm_coach.errors import DataFileError, UsageError
from iastm_coach.protocols.files import load_protocol_file
from iastm_coach.protocols.library import builtin_path
from iastm_coach.protocols.signing import (
    BEGIN,
    NAMESPACE,
    check_signature,
    generate_key,
    load_signing_key,
    public_line_of,
    sign_text,
    split_signed,
)
from iastm_coach.protocols.trust import (
    fingerprint_of_key_line,
    load_trusted,
    parse_key_reference,
    trust_key,
    untrust_key,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CALF = builtin_path("calf").read_text(encoding="utf-8")
needs_ssh_keygen = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None, reason="OpenSSH's ssh-keygen is not installed"
)


@pytest.fixture(name="key")
def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def fingerprint(key: Ed25519PrivateKey) -> str:
    return fingerprint_of_key_line(public_line_of(key))


def test_unsigned_text_is_unsigned() -> None:
    body, check = check_signature(CALF)
    assert body == CALF and check.state == "unsigned" and not check.trusted
    assert check.describe() == "unsigned"


def test_signed_text_from_an_untrusted_key_names_the_key(key: Ed25519PrivateKey) -> None:
    """A good signature from a key nobody trusted is not "trusted": it shows the key."""
    signed = sign_text(CALF, key)
    body, check = check_signature(signed)
    assert body == CALF
    assert check.state == "unknown-key" and check.fingerprint == fingerprint(key)
    assert fingerprint(key) in check.describe()


def test_trusted_key_gives_the_trusted_name(key: Ed25519PrivateKey) -> None:
    trust_key(fingerprint(key), "P. Hysio PT", now=NOW)
    _, check = check_signature(sign_text(CALF, key))
    assert check.trusted and check.signer == "P. Hysio PT"
    assert check.describe() == "signed by a trusted clinician (P. Hysio PT)"


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text.replace("duration_s = 45", "duration_s = 90", 1),  # a doubled dose
        lambda text: text.replace('title = "', 'title = " ', 1),  # one space
        lambda text: text + "[extra]\n",  # text after the signature
        lambda text: text.replace(BEGIN + "\n# ", BEGIN + "\n# A", 1),  # a damaged signature
        lambda text: "\n".join(  # a signature line that is no longer a comment
            line.removeprefix("# ") if line.startswith("# U1NI") else line
            for line in text.split("\n")
        ),
    ],
)
def test_any_change_after_signing_is_modified(key: Ed25519PrivateKey, edit: object) -> None:
    """A doubled dose, a space, appended text or a damaged signature: all 'modified'."""
    trust_key(fingerprint(key), "P. Hysio PT", now=NOW)
    signed = sign_text(CALF, key)
    assert "duration_s = 45" in signed
    _, check = check_signature(edit(signed))  # type: ignore[operator]
    assert check.state == "modified" and not check.trusted


def test_windows_line_ends_and_re_signing_keep_the_signature(key: Ed25519PrivateKey) -> None:
    """A mail client that turns LF into CRLF does not break the signature; signing again
    replaces the old block instead of stacking a second one."""
    trust_key(fingerprint(key), "P. Hysio PT", now=NOW)
    signed = sign_text(CALF, key)
    assert check_signature(signed.replace("\n", "\r\n"))[1].trusted
    again = sign_text(signed, key)
    assert again.count(BEGIN) == 1 and check_signature(again)[1].trusted


def test_utf16_copy_of_a_signed_file_still_verifies(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    """Notepad saving the signed file as UTF-16 changes its bytes, not its text."""
    trust_key(fingerprint(key), "P. Hysio PT", now=NOW)
    path = tmp_path / "anna.toml"
    path.write_bytes(sign_text(CALF, key).encode("utf-16"))
    loaded = load_protocol_file(path)
    assert loaded.signature.trusted and loaded.envelope == "clinician"


def test_loading_a_modified_file_is_refused_with_what_to_do(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    path = tmp_path / "anna.toml"
    path.write_text(sign_text(CALF, key).replace("duration_s = 45", "duration_s = 90", 1))
    with pytest.raises(DataFileError) as caught:
        load_protocol_file(path)
    assert caught.value.exit_code == 4
    assert "modified since it was signed" in caught.value.message
    assert "signs it again: iastm-coach protocol sign FILE" in (caught.value.hint or "")


def test_unsigned_and_untrusted_files_stay_in_the_home_envelope(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    path = tmp_path / "anna.toml"
    path.write_text(sign_text(CALF, key))
    assert load_protocol_file(path).envelope == "home"
    path.write_text(CALF)
    assert load_protocol_file(path).envelope == "home"


def test_keygen_writes_private_files_and_never_overwrites(isolated_home: Path) -> None:
    pair = generate_key("P. Hysio PT", overwrite=False)
    assert pair.private_path.parent == isolated_home / "keys"
    assert pair.private_path.stat().st_mode & 0o777 == 0o600
    assert pair.private_path.parent.stat().st_mode & 0o777 == 0o700
    assert pair.public_line.startswith("ssh-ed25519 ") and pair.public_line.endswith("P. Hysio PT")
    assert pair.fingerprint.startswith("SHA256:") and len(pair.fingerprint) == 50
    key = load_signing_key()
    assert fingerprint(key) == pair.fingerprint
    with pytest.raises(UsageError, match="already have a signing key"):
        generate_key("P. Hysio PT", overwrite=False)
    assert not (isolated_home / "journal").exists()


def test_load_signing_key_explains_a_missing_or_wrong_key(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_signing_key(tmp_path / "none")
    assert "protocol keygen" in (caught.value.hint or "")
    junk = tmp_path / "junk"
    junk.write_text("not a key")
    with pytest.raises(UsageError, match="not an unencrypted OpenSSH private key"):
        load_signing_key(junk)


def test_key_references_a_physio_may_hand_over(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    """The fingerprint with or without SHA256:, wrapped over lines, the key line, a .pub."""
    expected = fingerprint(key)
    line = public_line_of(key) + " P. Hysio PT"
    bare = expected.removeprefix("SHA256:")
    assert parse_key_reference(expected) == (expected, "")
    assert parse_key_reference(bare)[0] == expected
    assert parse_key_reference(f"  {bare[:20]}\n{bare[20:]}  ")[0] == expected
    assert parse_key_reference(line) == (expected, public_line_of(key))
    pub = tmp_path / "physio.pub"
    pub.write_text(line + "\n")
    assert parse_key_reference(str(pub))[0] == expected
    for wrong in ("SHA256:short", "hello", expected[:-1] + "!"):
        with pytest.raises(UsageError, match="not a key fingerprint"):
            parse_key_reference(wrong)
    with pytest.raises(UsageError, match="not an Ed25519 public key"):
        parse_key_reference("ssh-rsa AAAAB3NzaC1yc2E")


def test_trust_store_is_private_renames_and_untrusts(
    isolated_home: Path, key: Ed25519PrivateKey
) -> None:
    trust_key(fingerprint(key), "P. Hysio", now=NOW)
    trust_key(fingerprint(key), "P. Hysio PT", now=NOW)
    (entry,) = load_trusted().values()
    assert entry.name == "P. Hysio PT"
    path = isolated_home / "keys" / "trusted.toml"
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(UsageError, match="plain text"):
        trust_key(fingerprint(key), "evil\x1b[2J", now=NOW)
    assert untrust_key(fingerprint(key)).name == "P. Hysio PT"
    assert load_trusted() == {}
    with pytest.raises(UsageError, match="not a trusted key"):
        untrust_key(fingerprint(key))


def test_damaged_trust_store_is_a_data_error(isolated_home: Path) -> None:
    (isolated_home / "keys").mkdir(parents=True)
    (isolated_home / "keys" / "trusted.toml").write_text("[[key]]\nname = 1\n")
    with pytest.raises(DataFileError, match="trusted keys is damaged"):
        load_trusted()


def ssh_keygen(*args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["ssh-keygen", *args], input=stdin, capture_output=True, check=False, timeout=30
    )


@needs_ssh_keygen
def test_openssh_verifies_our_signature_with_the_readme_recipe(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    """Anyone can check a signed file with OpenSSH alone, as the README shows."""
    signed = sign_text(CALF, key)
    body, block = split_signed(signed)
    assert block is not None
    armor = "".join(line.removeprefix("# ") + "\n" for line in block.splitlines())
    (tmp_path / "body.sig").write_text(armor)
    allowed = tmp_path / "allowed"
    allowed.write_text(f'physio namespaces="{NAMESPACE}" {public_line_of(key)}\n')
    args = ["-Y", "verify", "-f", str(allowed), "-I", "physio", "-n", NAMESPACE]
    result = ssh_keygen(*args, "-s", str(tmp_path / "body.sig"), stdin=body.encode())
    assert result.returncode == 0, result.stderr
    assert b"Good" in result.stdout + result.stderr
    tampered = body.replace("duration_s = 45", "duration_s = 90", 1).encode()
    assert ssh_keygen(*args, "-s", str(tmp_path / "body.sig"), stdin=tampered).returncode != 0


@needs_ssh_keygen
def test_a_signature_made_by_ssh_keygen_is_accepted(tmp_path: Path) -> None:
    """A physio's own OpenSSH key and `ssh-keygen -Y sign` give a file we accept."""
    key_path = tmp_path / "id_ed25519"
    made = subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "physio", "-f", str(key_path)],
        capture_output=True,
        check=False,
        timeout=30,
    )
    assert made.returncode == 0, made.stderr
    body = tmp_path / "anna.toml"
    body.write_text(CALF)
    signed = ssh_keygen("-Y", "sign", "-n", NAMESPACE, "-f", str(key_path), str(body), stdin=b"")
    assert signed.returncode == 0, signed.stderr
    armor = (tmp_path / "anna.toml.sig").read_text()
    body.write_text(CALF + "".join(f"# {line}\n" for line in armor.splitlines()))
    line = (tmp_path / "id_ed25519.pub").read_text()
    trust_key(line, "P. Hysio PT", now=NOW)
    loaded = load_protocol_file(body)
    assert loaded.signature.trusted and loaded.signature.signer == "P. Hysio PT"
    # ... and our `sign --key` can use that same OpenSSH key file.
    assert fingerprint(load_signing_key(key_path)) == fingerprint_of_key_line(line)


def test_only_a_trusted_signature_asks_the_model_for_the_clinician_envelope(
    tmp_path: Path, key: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The envelope reaches the model through its validation context: "clinician" for a
    file signed by a trusted key, "home" for unsigned and untrusted ones."""
    from iastm_coach.protocols import files

    seen: list[object] = []
    original = files.TreatmentProtocol.model_validate

    def spy(document: object, **options: object) -> object:
        seen.append((options.get("context") or {}).get("envelope"))  # type: ignore[attr-defined]
        return original(document, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(files.TreatmentProtocol, "model_validate", spy)
    path = tmp_path / "anna.toml"
    path.write_text(CALF)
    load_protocol_file(path)
    path.write_text(sign_text(CALF, key))
    load_protocol_file(path)
    trust_key(fingerprint(key), "P. Hysio PT", now=NOW)
    load_protocol_file(path)
    assert seen == ["home", "home", "clinician"]


SIGNING_KEY = Ed25519PrivateKey.generate()
SIGNED_CALF = sign_text(CALF, SIGNING_KEY)


@settings(max_examples=60, deadline=None)
@given(
    position=st.integers(min_value=0, max_value=len(SIGNED_CALF) - 1),
    replacement=st.characters(blacklist_categories=("Cs",)),
)
def test_any_one_character_changed_is_caught(position: int, replacement: str) -> None:
    """Whatever single character changes, anywhere in the file, the result is never
    "signed" (line ends and trailing blank lines aside, which are allowed to differ)."""
    original = SIGNED_CALF[position]
    assume(replacement != original and "\r" not in (replacement, original))
    edited = SIGNED_CALF[:position] + replacement + SIGNED_CALF[position + 1 :]
    assume(edited.rstrip() != SIGNED_CALF.rstrip())
    # A damaged BEGIN line leaves no signature at all: shown as unsigned, never as signed.
    assert_caught(edited, position)


def assert_caught(edited: str, position: int) -> None:
    """An edit is either reported (modified, unsigned) or changed nothing that counts: the
    same protocol text, still signed by the same key. (Base64's last character carries
    unused bits, and SSHSIG does not sign its own copy of the public key, so a few edits
    of the armour leave the very same signature by the very same key.)"""
    check = check_signature(edited)[1]
    if check.state not in ("modified", "unsigned"):
        assert split_signed(edited)[0] == split_signed(SIGNED_CALF)[0], position
        assert check.fingerprint == check_signature(SIGNED_CALF)[1].fingerprint, position


def test_every_edit_of_the_signature_block_is_caught_without_a_crash() -> None:
    # The property above found that sshsig's parser raises AssertionError on some damage:
    # here every character of the signature block is changed, deterministically.
    start = SIGNED_CALF.index(BEGIN)
    for position in range(start, len(SIGNED_CALF)):
        for replacement in "0A/+=#":
            if SIGNED_CALF[position] == replacement:
                continue
            edited = SIGNED_CALF[:position] + replacement + SIGNED_CALF[position + 1 :]
            assert_caught(edited, position)


def cli(*args: str) -> tuple[int, str]:
    from iastm_coach.cli import app
    from tests.cli import FixedRunner

    result = FixedRunner().invoke(app, list(args))
    return result.exit_code, " ".join((result.stdout + result.stderr).split())


def test_key_commands_from_keygen_to_untrust(isolated_home: Path, key: Ed25519PrivateKey) -> None:
    import json

    code, output = cli("protocol", "keygen", "--name", "P. Hysio PT")
    assert code == 0 and "Your signing key is ready" in output
    own = load_signing_key()
    assert cli("protocol", "keygen", "--name", "P. Hysio PT")[0] == 2
    code, output = cli("protocol", "trust", fingerprint(key), "--name", "Dr. Other")
    assert code == 0 and f"Trusted Dr. Other ({fingerprint(key)})" in output
    code, output = cli("protocol", "keys")
    assert f"Your signing key: {fingerprint(own)}" in output and "Trusted: Dr. Other" in output
    listing = json.loads(cli("protocol", "keys", "--json")[1])
    assert listing["own_key"] == fingerprint(own)
    assert {entry["name"] for entry in listing["trusted"]} == {"P. Hysio PT", "Dr. Other"}
    code, output = cli("protocol", "untrust", fingerprint(key))
    assert code == 0 and "No longer trusted: Dr. Other" in output
    assert cli("protocol", "trust", "SHA256:nope", "--name", "X")[0] == 2


def test_sign_refuses_an_invalid_file_and_leaves_it_untouched(
    tmp_path: Path, isolated_home: Path
) -> None:
    assert cli("protocol", "keygen", "--name", "P. Hysio PT")[0] == 0
    path = tmp_path / "anna.toml"
    broken = CALF.replace("rest_hours = 48", "rest_hours = 2")
    path.write_text(broken)
    code, output = cli("protocol", "sign", str(path))
    assert code == 4 and "settings.rest_hours: must be between 24 and 336" in output
    assert path.read_text() == broken
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_sign_without_a_key_says_how_to_make_one(tmp_path: Path) -> None:
    path = tmp_path / "anna.toml"
    path.write_text(CALF)
    code, output = cli("protocol", "sign", str(path))
    assert code == 2 and "protocol keygen" in output


def test_only_a_trusted_signature_unlocks_the_clinician_limits(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    """A 2-minute area is outside the home limit: refused unsigned and when signed with a
    key nobody trusted, accepted once the patient trusts the clinician's key."""
    wide = CALF.replace("duration_s = 45", "duration_s = 120", 1).replace(
        "max_session_minutes = 8", "max_session_minutes = 12"
    )
    path = tmp_path / "anna.toml"
    path.write_text(wide)
    with pytest.raises(DataFileError) as unsigned:
        load_protocol_file(path)
    assert any(
        "area[1].duration_s" in line and "home limit" in line for line in unsigned.value.problems
    )
    path.write_text(sign_text(wide, key))
    with pytest.raises(DataFileError):
        load_protocol_file(path)
    trust_key(fingerprint(key), "P. Hysio PT", now=NOW)
    loaded = load_protocol_file(path)
    assert loaded.envelope == "clinician" and loaded.protocol.area[0].duration_s == 120


def test_sign_and_validate_warn_about_each_value_only_the_signature_allows(
    tmp_path: Path, isolated_home: Path
) -> None:
    """Firm pressure and a 24 h rest are clinician limits: unsigned, the file is refused
    with what would allow them; signed by a trusted key, `sign` and `validate` accept it
    (exit 0) and warn about each value, naming the home limit."""
    wide = CALF.replace('pressure = "moderate"', 'pressure = "firm"', 1).replace(
        "rest_hours = 48", "rest_hours = 24"
    )
    path = tmp_path / "anna.toml"
    path.write_text(wide)
    code, output = cli("protocol", "validate", str(path))
    assert code == 4
    assert "a file signed by a clinician you trust may use light, moderate, firm" in output
    assert "a file signed by a clinician you trust may use 24-336 hours" in output
    assert cli("protocol", "keygen", "--name", "P. Hysio PT")[0] == 0
    for command in ("sign", "validate"):
        code, output = cli("protocol", command, str(path))
        assert code == 0, output
        assert "area.pressure = 'firm' is within the clinician limit only" in output
        assert "a home plan uses light, moderate" in output
        assert "settings.rest_hours = 24 is within the clinician limit only" in output
        assert "a home plan uses 48-336 hours" in output
    # The built-in file, inside the home envelope, has no such warning.
    assert "clinician limit only" not in cli("protocol", "validate", str(builtin_path("calf")))[1]
