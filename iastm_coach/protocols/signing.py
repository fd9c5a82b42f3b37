"""Signed protocol files: Ed25519 keys and OpenSSH "SSHSIG" signatures.

The signature is embedded at the end of the protocol file, as TOML comments, so a
physio emails one file:

    ...the protocol...
    # -----BEGIN SSH SIGNATURE-----
    # U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg...
    # -----END SSH SIGNATURE-----

It covers the canonical text above the BEGIN line: the file decoded (a UTF-8 byte
order mark or UTF-16 accepted) with CRLF line ends turned into LF, encoded as
UTF-8. A file written by `protocol sign` is already canonical, so OpenSSH can
check it too (`ssh-keygen -Y verify -n iastm-coach-protocol`, see the README).
Signatures are made with `cryptography`'s Ed25519 and checked with the `sshsig`
library; only the SSHSIG envelope (a few length-prefixed strings) is written here.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from iastm_coach.errors import UsageError
from iastm_coach.paths import ensure_private_dir, write_private_file
from iastm_coach.protocols.trust import (
    check_name,
    fingerprint_of_key_line,
    keys_dir,
    load_trusted,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

NAMESPACE = "iastm-coach-protocol"  # a signature for protocols is good for nothing else
BEGIN = "# -----BEGIN SSH SIGNATURE-----"
END = "# -----END SSH SIGNATURE-----"

SignatureState = Literal["unsigned", "trusted", "unknown-key", "modified"]


@dataclass(frozen=True)
class SignatureCheck:
    """What the signature of a protocol file says about it."""

    state: SignatureState
    fingerprint: str = ""  # the signing key's SHA256:...
    signer: str = ""  # the name the patient trusted it under
    detail: str = ""  # why a signature was refused
    made_here: bool = False  # the signing key is this data directory's own (`own_key`)

    @property
    def trusted(self) -> bool:
        return self.state == "trusted"

    def describe(self) -> str:
        """One line for people, e.g. 'signed by a trusted clinician (P. Hysio PT)'."""
        if self.state == "trusted":
            return f"signed by a trusted clinician ({self.signer})"
        if self.state == "unknown-key":
            return f"signed with a key you have not trusted ({self.fingerprint})"
        if self.state == "modified":
            return "modified since signing"
        return "unsigned"


UNSIGNED = SignatureCheck("unsigned")


def split_signed(text: str) -> tuple[str, str | None]:
    """(the text above the signature block, the armored signature or None)."""
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if line.rstrip() == BEGIN:
            return "".join(lines[:number]), "".join(lines[number:])
    return text, None


def canonical_bytes(body: str) -> bytes:
    return body.replace("\r\n", "\n").encode("utf-8")


def _armor_from_block(block: str) -> str:
    """The `-----BEGIN SSH SIGNATURE-----` text inside the comment block; ValueError if the
    block was edited (anything after END, a line not a comment)."""
    lines = [line.rstrip() for line in block.splitlines()]
    try:
        end = lines.index(END)
    except ValueError:
        raise ValueError("the signature block has no END line") from None
    if any(line.strip() for line in lines[end + 1 :]):
        raise ValueError("there is text after the signature")
    armor = []
    for line in lines[: end + 1]:
        if not line.startswith("# "):
            raise ValueError("a line of the signature block is not a comment")
        armor.append(line[2:])
    return "\n".join(armor) + "\n"


def check_signature(text: str) -> tuple[str, SignatureCheck]:
    """(the protocol text to parse, what its signature says). Never raises for a bad
    signature: a modified file is reported as such and refused by the caller."""
    body, block = split_signed(text)
    if block is None:
        return body, UNSIGNED
    import sshsig

    try:
        armor = _armor_from_block(block)
        key = sshsig.check_signature(canonical_bytes(body), armor, NAMESPACE)
    except sshsig.InvalidSignature:
        return body, SignatureCheck("modified", detail="the text does not match its signature")
    except Exception as error:  # sshsig's parser also asserts on some damage
        return body, SignatureCheck("modified", detail=f"the signature is damaged ({error})")
    fingerprint = key.sha256_str()
    trusted = load_trusted().get(fingerprint)
    if trusted is None:
        return body, SignatureCheck("unknown-key", fingerprint=fingerprint)
    return body, SignatureCheck(
        "trusted", fingerprint=fingerprint, signer=trusted.name, made_here=own_key(fingerprint)
    )


def own_key(fingerprint: str) -> bool:
    """Whether *fingerprint* is the key `protocol keygen` made in this data directory (its
    public key file is still here). Found from the key itself at every check, so trusting
    the key again cannot hide it. A key made elsewhere (ssh-keygen, another computer)
    cannot be told apart: the key's fingerprint in the report is what the physio checks."""
    try:
        line = public_key_path().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return False
    try:
        return fingerprint_of_key_line(line) == fingerprint
    except UsageError:  # not a key line (hand-edited): not this computer's key
        return False


def _ssh_string(value: bytes) -> bytes:
    return len(value).to_bytes(4, "big") + value


def _sshsig_blob(key: Ed25519PrivateKey, message: bytes) -> bytes:
    """The SSHSIG signature blob of OpenSSH's PROTOCOL.sshsig, signed with Ed25519."""
    from cryptography.hazmat.primitives import serialization
    from sshsig.sshsig import SshsigWrapper

    to_sign = SshsigWrapper(
        namespace=NAMESPACE.encode(), hash_algo=b"sha512", hash=hashlib.sha512(message).digest()
    ).to_bytes()
    public_line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    public_blob = base64.b64decode(public_line.split()[1])
    signature = _ssh_string(b"ssh-ed25519") + _ssh_string(key.sign(to_sign))
    out = io.BytesIO()
    out.write(b"SSHSIG" + (1).to_bytes(4, "big"))
    for field in (public_blob, NAMESPACE.encode(), b"", b"sha512", signature):
        out.write(_ssh_string(field))
    return out.getvalue()


def sign_text(text: str, key: Ed25519PrivateKey) -> str:
    """`text` (any old signature dropped) in canonical form, with a new signature block."""
    from sshsig.sshsig import ssh_enarmor_sshsig

    body = split_signed(text)[0].replace("\r\n", "\n")
    if not body.endswith("\n"):
        body += "\n"
    armor = ssh_enarmor_sshsig(_sshsig_blob(key, canonical_bytes(body)))
    block = "".join(f"# {line}\n" for line in armor.splitlines() if line)
    return body + block


# --- the clinician's own key pair -------------------------------------------------


def private_key_path() -> Path:
    return keys_dir() / "clinician_ed25519"


def public_key_path() -> Path:
    return keys_dir() / "clinician_ed25519.pub"


@dataclass(frozen=True)
class KeyPair:
    public_line: str  # "ssh-ed25519 AAAA... Name"
    fingerprint: str
    private_path: Path
    public_path: Path


def generate_key(name: str, *, overwrite: bool) -> KeyPair:
    """Create the clinician's key pair once (private file 0600, never in the journal)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    name = check_name(name)
    private_path = private_key_path()
    if private_path.exists() and not overwrite:
        raise UsageError(
            f"you already have a signing key ({private_path})",
            hint="Keep using it: your patients trust its fingerprint. Add --force only to "
            "replace a lost or leaked key (patients must then trust the new one).",
        )
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    line = f"{public.decode()} {name}"
    ensure_private_dir(keys_dir())
    write_private_file(private_path, private, overwrite=True)
    write_private_file(public_key_path(), line + "\n", overwrite=True)
    return KeyPair(line, fingerprint_of_key_line(line), private_path, public_key_path())


def load_signing_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The clinician's private key: theirs from `protocol keygen`, or an unencrypted
    OpenSSH Ed25519 key file they already have."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_ssh_private_key

    path = path or private_key_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(
            f"no signing key at {path}",
            hint='Create yours once with: iastm-coach protocol keygen --name "Your Name PT"',
        ) from None
    except OSError as error:
        raise UsageError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        key = load_ssh_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise UsageError(
            f"{path} is not an unencrypted OpenSSH private key ({error})",
            hint="Use the key made by `iastm-coach protocol keygen`.",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 key; only Ed25519 keys can sign protocols")
    return key


def public_line_of(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives import serialization

    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
