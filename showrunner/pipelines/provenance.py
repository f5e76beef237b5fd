"""Content provenance: a C2PA manifest in every image, video and audio file written, a JSON sidecar per file.

The manifest says the file was created by a trained algorithm (IPTC ``trainedAlgorithmicMedia``), or
``compositeWithTrainedAlgorithmicMedia`` for a cut that mixes in human-supplied frames, and carries
the render parameters as an ``org.showrunner.render`` assertion. Signing uses the user's certificate
and key when ``c2pa_cert``/``c2pa_key`` are set, else a local CA and an ES256 signer created once in
``<project>/provenance/`` with ``cryptography``. :func:`verify` reads a file back offline.
"""

from __future__ import annotations

import datetime
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from showrunner import __version__
from showrunner.errors import BadInput, ShowrunnerError
from showrunner.io import atomic_write

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
AI_SOURCES = {"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"}
MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".mp4": "video/mp4", ".wav": "audio/wav"}


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _local_chain(folder: Path) -> tuple[bytes, bytes, bytes]:
    """Load or create (once) a local test CA and an end-entity ES256 signer with the EKU C2PA requires."""
    chain_p, key_p, ca_p = folder / "signer-chain.pem", folder / "signer-key.pem", folder / "ca.pem"
    if chain_p.is_file() and key_p.is_file() and ca_p.is_file():
        return chain_p.read_bytes(), key_p.read_bytes(), ca_p.read_bytes()
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Showrunner Local Root CA"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "showrunner project")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    ee = (x509.CertificateBuilder()
          .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Showrunner Render Signer"),
                                   x509.NameAttribute(NameOID.ORGANIZATION_NAME, "showrunner project")]))
          .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
          .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
          .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    ca_pem = ca.public_bytes(pem)
    chain = ee.public_bytes(pem) + ca_pem
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    atomic_write(ca_p, ca_pem)
    atomic_write(chain_p, chain)
    atomic_write(key_p, key_pem)
    key_p.chmod(0o600)
    return chain, key_pem, ca_pem


@dataclass
class Provenance:
    """Signs files for one project; build with :meth:`for_project`."""

    chain: bytes
    key: bytes

    @classmethod
    def for_project(cls, root: Path, cert: str | None = None, key: str | None = None) -> Provenance:
        if cert or key:
            if not (cert and key):
                raise BadInput("set both c2pa_cert and c2pa_key, or neither (a local CA is then created)")
            try:
                return cls(Path(cert).expanduser().read_bytes(), Path(key).expanduser().read_bytes())
            except OSError as exc:
                raise BadInput(f"cannot read C2PA certificate or key: {exc}; fix c2pa_cert/c2pa_key") from exc
        chain, key_pem, _ = _local_chain(root / "provenance")
        return cls(chain, key_pem)

    def sign(self, data: bytes, mime: str, *, title: str, source: str = "trainedAlgorithmicMedia",
             params: dict[str, Any] | None = None) -> bytes:
        """Return ``data`` with an embedded, signed C2PA manifest."""
        from c2pa import Builder, C2paSignerInfo, C2paSigningAlg, Signer

        manifest: dict[str, Any] = {
            "claim_generator_info": [{"name": "showrunner", "version": __version__}],
            "title": title,
            "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
                "action": "c2pa.created", "digitalSourceType": IPTC + source,
                "softwareAgent": {"name": "showrunner", "version": __version__}}]}}],
        }
        if params:
            manifest["assertions"].append({"label": "org.showrunner.render",
                                           "data": json.loads(json.dumps(params, default=str))})
        signer = Signer.from_info(C2paSignerInfo(C2paSigningAlg.ES256, self.chain, self.key, None))
        src, dst = io.BytesIO(data), io.BytesIO()
        with Builder(manifest) as b:
            b.sign(signer, mime, src, dst)
        return dst.getvalue()

    def write(self, path: Path, data: bytes, *, title: str, sidecar: dict[str, Any],
              source: str = "trainedAlgorithmicMedia") -> None:
        """Sign ``data`` and write it and its sidecar atomically (sidecar first: a file never lacks one)."""
        mime = MIME[path.suffix.lower()]
        signed = self.sign(data, mime, title=title, source=source, params=sidecar)
        atomic_write(sidecar_path(path), json.dumps(sidecar, indent=2, ensure_ascii=False, default=str) + "\n")
        atomic_write(path, signed)


def _find_ca(path: Path) -> bytes | None:
    for parent in path.resolve().parents:
        if (parent / "project.json").is_file():
            ca = parent / "provenance" / "ca.pem"
            return ca.read_bytes() if ca.is_file() else None
    return None


def verify(path: Path) -> dict[str, Any]:
    """Read the C2PA manifest of ``path``: validity, AI label, signer, trust, sidecar summary."""
    if not path.is_file():
        raise ShowrunnerError(f"{path}: no such file; nothing to verify", code=1)
    mime = MIME.get(path.suffix.lower())
    if mime is None:
        raise BadInput(f"{path}: cannot verify {path.suffix or 'this'} files; use a .png, .jpg, .mp4 or .wav")
    import c2pa

    result: dict[str, Any] = {"file": str(path), "valid": False, "manifest": False}
    ca = _find_ca(path)
    ctx = c2pa.Context.from_dict({"trust": {"user_anchors": ca.decode()}, "verify": {"verify_trust": True}}) \
        if ca else None
    try:
        with open(path, "rb") as f, (c2pa.Reader(mime, f, context=ctx) if ctx else c2pa.Reader(mime, f)) as r:
            store = json.loads(r.json())
    except Exception as exc:  # c2pa raises its own error types for missing/corrupt manifests
        result["error"] = " ".join(str(exc).split())[:200] or type(exc).__name__
        return _with_sidecar(path, result)
    manifest = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    sources = [a.get("digitalSourceType", "").rsplit("/", 1)[-1]
               for asrt in manifest.get("assertions", []) if asrt.get("label", "").startswith("c2pa.actions")
               for a in asrt.get("data", {}).get("actions", [])]
    state = store.get("validation_state", "")
    failures = [s.get("code") for s in store.get("validation_status", []) or []
                if "untrusted" not in str(s.get("code"))]
    result.update({
        "manifest": bool(manifest), "validation_state": state, "valid": state in ("Valid", "Trusted"),
        "trusted": state == "Trusted", "ai_generated": any(s in AI_SOURCES for s in sources),
        "digital_source_type": sources[0] if sources else None, "failures": failures,
        "signer": manifest.get("signature_info", {}).get("common_name")
        or manifest.get("signature_info", {}).get("issuer"),
        "issuer": manifest.get("signature_info", {}).get("issuer"), "title": manifest.get("title"),
    })
    return _with_sidecar(path, result)


def _with_sidecar(path: Path, result: dict[str, Any]) -> dict[str, Any]:
    side = sidecar_path(path)
    if side.is_file():
        try:
            data = json.loads(side.read_text(encoding="utf-8"))
            keep = ("shot", "episode", "backend", "model", "seed", "prompt", "references", "human_supplied", "kind")
            result["sidecar"] = {k: data[k] for k in keep if k in data}
        except ValueError:
            result["sidecar"] = {"error": "unreadable"}
    return result
