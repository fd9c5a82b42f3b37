"""Clinicians' public keys a patient has chosen to trust, kept in `keys/trusted.toml`.

A key is named by its OpenSSH SHA-256 fingerprint (`SHA256:` and 43 base64
characters, exactly what `ssh-keygen -l` prints), so a physio can read it out,
print it on a handout or paste it into a message. The signature inside a signed
protocol file carries the whole public key; trusting its fingerprint is enough.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from iastm_coach.errors import DataFileError, UsageError
from iastm_coach.paths import ensure_private_dir, user_dir, write_private_file
from iastm_coach.safe_text import find_control_character

FINGERPRINT_PATTERN = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")
MAX_NAME_CHARS = 100
MAX_KEY_FILE_BYTES = 16 * 1024  # a public key line is about 100 bytes
MAX_TRUSTED_BYTES = 256 * 1024


@dataclass(frozen=True)
class TrustedKey:
    fingerprint: str  # "SHA256:..."
    name: str  # who the patient was told it belongs to
    added: dt.datetime
    public_key: str = ""  # the "ssh-ed25519 AAAA..." line, when it was given


def keys_dir() -> Path:
    """Private key material and the trusted keys: never inside the journal."""
    return user_dir() / "keys"


def trusted_path() -> Path:
    return keys_dir() / "trusted.toml"


def fingerprint_of_key_line(line: str) -> str:
    """`SHA256:...` of an OpenSSH public key line (`ssh-ed25519 AAAA... comment`)."""
    parts = line.split()
    if len(parts) < 2 or parts[0] != "ssh-ed25519":
        raise UsageError(
            "not an Ed25519 public key",
            hint="Paste the whole line that starts with ssh-ed25519, "
            "or the SHA256:... fingerprint.",
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except ValueError:
        raise UsageError("the public key is damaged (its base64 text does not decode)") from None
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def parse_key_reference(text: str) -> tuple[str, str]:
    """(fingerprint, public key line or "") from what a physio handed over: a fingerprint
    with or without `SHA256:`, a public key line, or the path of a `.pub` file."""
    candidate = text.strip()
    path = Path(candidate).expanduser()
    if candidate.endswith(".pub") or (len(candidate) < 4096 and path.is_file()):
        try:
            if path.stat().st_size > MAX_KEY_FILE_BYTES:
                raise UsageError(f"{path} is too large to be a public key file")
            candidate = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"{path}: cannot read the public key ({error})") from None
    if candidate.startswith("ssh-"):
        line = " ".join(candidate.split()[:2])
        return fingerprint_of_key_line(line), line
    compact = "".join(candidate.split())  # read aloud or wrapped in a message
    if not compact.startswith("SHA256:"):
        compact = f"SHA256:{compact}"
    if not FINGERPRINT_PATTERN.match(compact):
        raise UsageError(
            f"'{text.strip()[:80]}' is not a key fingerprint",
            hint="A fingerprint looks like SHA256: followed by 43 letters, digits, + and /; "
            "copy it exactly as your clinician gave it (letters are case-sensitive).",
        )
    return compact, ""


def check_name(name: str) -> str:
    """A clinician's display name: one plain line."""
    clean = name.strip()
    problem = find_control_character(clean)
    if not clean or problem or len(clean) > MAX_NAME_CHARS:
        raise UsageError(
            "--name must be plain text on one line, 1-100 characters",
            hint='For example: --name "P. Hysio PT"',
        )
    return clean


def load_trusted() -> dict[str, TrustedKey]:
    """Fingerprint -> trusted key; empty when nothing is trusted yet."""
    path = trusted_path()
    try:
        if path.stat().st_size > MAX_TRUSTED_BYTES:
            raise DataFileError(f"{path} is too large for a list of trusted keys")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise DataFileError(f"{path}: cannot be read ({error})") from None
    try:
        document = tomllib.loads(text)
        keys = {}
        for entry in document.get("key", []):
            key = TrustedKey(
                fingerprint=str(entry["fingerprint"]),
                name=str(entry["name"]),
                added=entry["added"],
                public_key=str(entry.get("public_key", "")),
            )
            keys[key.fingerprint] = key
    except (tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as error:
        raise DataFileError(
            f"{path}: the list of trusted keys is damaged ({error})",
            hint="Fix or delete the file, then trust your clinician's key again.",
        ) from None
    return keys


def save_trusted(keys: dict[str, TrustedKey]) -> None:
    import tomli_w

    entries = []
    for key in keys.values():
        entry: dict[str, object] = {
            "fingerprint": key.fingerprint,
            "name": key.name,
            "added": key.added,
        }
        if key.public_key:
            entry["public_key"] = key.public_key
        entries.append(entry)
    ensure_private_dir(keys_dir())
    header = "# Clinicians' keys you trust (iastm-coach protocol trust / untrust).\n"
    write_private_file(trusted_path(), header + tomli_w.dumps({"key": entries}), overwrite=True)


def trust_key(reference: str, name: str, *, now: dt.datetime) -> TrustedKey:
    """Trust a clinician's key under `name`; trusting it again renames it."""
    fingerprint, line = parse_key_reference(reference)
    keys = load_trusted()
    key = TrustedKey(fingerprint, check_name(name), now.replace(microsecond=0), line)
    keys[fingerprint] = key
    save_trusted(keys)
    return key


def untrust_key(reference: str) -> TrustedKey:
    fingerprint, _ = parse_key_reference(reference)
    keys = load_trusted()
    removed = keys.pop(fingerprint, None)
    if removed is None:
        raise UsageError(
            f"{fingerprint} is not a trusted key", hint="`iastm-coach protocol keys` lists them."
        )
    save_trusted(keys)
    return removed
