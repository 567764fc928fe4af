"""Render the Asterisk 22 configuration from the directory data (templates in `asterisk-config/templates/`).

`render(directory, options, secrets)` is pure: plain data in, `{file name: text}` out. Reading settings,
creating the secrets file and writing files happen in `build_options`, `load_or_create_secrets` and
`write_files`, at the edge. Every value that reaches a config file passes one of the `conf_*` guards,
so a newline, `;`, `[` or a non-ASCII identifier is refused instead of silently breaking Asterisk.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets as _random
from dataclasses import dataclass
from pathlib import Path

import jinja2
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline.directory import Directory
from hotline.settings import ROOT, Settings

TEMPLATES = ROOT / "asterisk-config" / "templates"
CONFIG_FILES = (
    "asterisk.conf", "logger.conf", "modules.conf", "pjsip.conf", "extensions.conf", "queues.conf",
    "manager.conf", "musiconhold.conf", "http.conf", "rtp.conf", "features.conf", "indications.conf",
)
DEFAULT_AMI_SECRET = "engine"
FASTAGI_SCRIPTS = ("ivr", "after-queue", "survey", "callback-ivr")

_IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_UNSAFE_VALUE = re.compile(r"[\x00-\x1f\x7f;\[\]]")
_PATH = re.compile(r"^/[A-Za-z0-9_./-]*$")
_SECRET = re.compile(r"^[\x21-\x7e]{8,128}$")


class ConfigValueError(ValueError):
    """A value cannot be written into an Asterisk config file; the message names it."""


def conf_ident(value: object, *, field: str = "identifier") -> str:
    """Section names, endpoint/queue names, contexts: ASCII letters, digits, '_', '.', '-'."""
    text = str(value)
    if not _IDENT.fullmatch(text):
        raise ConfigValueError(f"{field}: {text!r} is not an ASCII identifier [A-Za-z0-9_.-]")
    return text


def conf_value(value: object, *, field: str = "value") -> str:
    """A right-hand value: no control characters (CR/LF), no ';' (comment) and no '[' or ']'."""
    text = str(value)
    if _UNSAFE_VALUE.search(text):
        raise ConfigValueError(f"{field}: {text!r} contains a control character, ';', '[' or ']'")
    return text


def conf_callerid_name(value: object, *, field: str = "name") -> str:
    """Display name inside `callerid = "NAME" <ext>`: UTF-8 allowed, quotes and backslashes refused."""
    text = conf_value(value, field=field)
    if '"' in text or "\\" in text or "<" in text or ">" in text:
        raise ConfigValueError(f"{field}: {text!r} contains a quote, backslash or angle bracket")
    return text


def conf_path(value: object, *, field: str = "path") -> str:
    """An absolute file-system path of plain ASCII characters (Asterisk does not quote paths)."""
    text = str(value)
    if not _PATH.fullmatch(text):
        raise ConfigValueError(f"{field}: {text!r} must be an absolute ASCII path [A-Za-z0-9_./-]")
    return text


def conf_secret(value: object, *, field: str = "secret") -> str:
    """A password or secret: 8-128 printable ASCII characters, no ';', '[' or ']'."""
    text = str(value)
    if not _SECRET.fullmatch(text) or _UNSAFE_VALUE.search(text):
        raise ConfigValueError(f"{field}: must be 8-128 printable ASCII characters without ';', '[' or ']'")
    return text


def conf_host(value: object, *, field: str = "host") -> str:
    """An IP address, a CIDR network or a DNS name."""
    text = str(value)
    if _UNSAFE_VALUE.search(text) or not text.isascii():
        raise ConfigValueError(f"{field}: {text!r} is not an IP address, network or host name")
    try:
        ipaddress.ip_network(text, strict=False)
        return text
    except ValueError:
        pass
    if re.fullmatch(r"(?=.{1,253}\Z)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*", text):
        return text
    raise ConfigValueError(f"{field}: {text!r} is not an IP address, network or host name")


class AsteriskConfigSettings(BaseSettings):
    """Deployment knobs of the rendered Asterisk config (env prefix HOTLINE_ASTERISK_)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_ASTERISK_", env_file=".env", extra="ignore")

    sip_bind: str = Field("0.0.0.0", description="Address the SIP transports listen on")
    sip_port: int = Field(5060, ge=1, le=65535, description="UDP/TCP SIP port")
    tls_port: int = Field(5061, ge=1, le=65535, description="SIP over TLS port")
    external_address: str | None = Field(None, description="Public address when Asterisk is behind NAT")
    local_nets: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])
    tls_cert_file: str = Field("/etc/asterisk/keys/hotline.crt", description="PEM certificate for TLS and WSS")
    tls_key_file: str = Field("/etc/asterisk/keys/hotline.key", description="PEM private key for TLS and WSS")
    wss_port: int = Field(8089, ge=1, le=65535, description="HTTPS/WSS port for browser phones")
    http_port: int = Field(8088, ge=1, le=65535, description="Plain HTTP port (loopback only)")
    seat_phone: str = Field("sip", pattern="^(sip|webrtc)$", description="sip = desk/soft phones; webrtc = browser phones over WSS")
    rtp_start: int = Field(10000, ge=1024, le=65535)
    rtp_end: int = Field(20000, ge=1024, le=65535)
    ami_bind: str = Field("0.0.0.0", description="manager.conf bindaddr")
    engine_address: str = Field("127.0.0.1", description="The only address allowed to log in to AMI (the engine)")
    fastagi_host: str | None = Field(None, description="FastAGI host Asterisk connects to (default: HOTLINE_FASTAGI_HOST)")
    queue_wait_seconds: int = Field(600, ge=10, le=3600, description="Queue() timeout before after-queue takes over")
    ring_seconds: int = Field(15, ge=5, le=120, description="How long one seat rings")
    wrapup_seconds: int = Field(10, ge=0, le=600, description="Queue wrap-up time after each call")
    service_level_seconds: int = Field(20, ge=5, le=600, description="Queue service level (answered within)")
    carrier_contact: str | None = Field(None, description="sip:host[:port] for calls to the carrier (default: first match address)")
    probe_address: str | None = Field(None, description="Address of the `hotline12348 probe` host: gets an endpoint of its own")
    moh_dir: str = Field("/var/lib/asterisk/moh/hotline", description="Music-on-hold files")
    secrets_file: Path | None = Field(None, description="Seat/AMI secrets (JSON, mode 0600); default <var_dir>/asterisk-secrets.json")
    ami_secret: SecretStr | None = Field(None, description="AMI secret; default: the engine's ami_nodes[0].secret")
    run_root: str | None = Field(None, description="Render [directories] under this root (tests/acceptance only)")
    modules_dir: str = Field("/usr/lib/asterisk/modules", description="astmoddir, rendered only with run_root")


@dataclass(frozen=True)
class RenderOptions:
    """Everything `render` needs besides the directory and secrets (plain data)."""

    fastagi: str
    ami_user: str
    ami_port: int
    recordings_dir: str
    cfg: AsteriskConfigSettings
    carrier_contact: str | None


def build_options(settings: Settings, cfg: AsteriskConfigSettings | None = None) -> RenderOptions:
    """Collect render options from the engine settings and the HOTLINE_ASTERISK_* settings."""
    cfg = cfg or AsteriskConfigSettings()
    if cfg.rtp_end <= cfg.rtp_start:
        raise ConfigValueError("rtp_end must be greater than rtp_start")
    node = settings.ami_nodes[0]
    host = cfg.fastagi_host or settings.fastagi_host
    carrier = cfg.carrier_contact
    return RenderOptions(
        fastagi=f"agi://{conf_host(host, field='fastagi_host')}:{settings.fastagi_port}",
        ami_user=conf_ident(node.username, field="ami_nodes[0].username"),
        ami_port=node.port, recordings_dir=conf_path(settings.recordings_dir, field="recordings_dir"),
        cfg=cfg, carrier_contact=carrier,
    )


def ami_secret(settings: Settings, cfg: AsteriskConfigSettings) -> str | None:
    """The AMI secret to render, or None when only the shipped default is configured."""
    if cfg.ami_secret is not None:
        return cfg.ami_secret.get_secret_value()
    value = settings.ami_nodes[0].secret.get_secret_value()
    return None if value == DEFAULT_AMI_SECRET else value


def load_or_create_secrets(path: Path, directory: Directory, ami: str | None) -> dict[str, str]:
    """Read the secrets file, add a random password for every phone and AMI that has none, keep it 0600."""
    data: dict[str, str] = {}
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ConfigValueError(f"{path}: secrets file is not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ConfigValueError(f"{path}: secrets file must map names to strings")
    wanted = [s.endpoint for s in directory.seats] + [f"sup{p.extension}" for p in directory.supervisor_phones]
    changed = not path.exists()
    for name in wanted + ["ami"]:
        if name not in data:
            data[name] = _random.token_urlsafe(18)
            changed = True
    if ami is not None and data.get("ami") != ami:
        data["ami"] = ami
        changed = True
    if changed:
        # written beside and renamed over: an interrupted write never loses the existing passwords
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
        os.replace(tmp, path)
    os.chmod(path, 0o600)
    return data


def build_model(directory: Directory, options: RenderOptions, secrets: dict[str, str]) -> dict:
    """The template context: every identifier checked once, here, before any template sees it."""
    cfg = options.cfg
    seats, sups, queues = _phones(directory.seats, secrets), _supervisors(directory, secrets), _queues(directory)
    carrier = directory.trunks.carrier
    matches = [conf_host(m, field="trunks.carrier.match") for m in carrier.match]
    gov = directory.trunks.gov12345
    return dict(
        cfg=cfg, fastagi=options.fastagi, recordings_dir=options.recordings_dir,
        ami=dict(user=options.ami_user, port=options.ami_port,
                 secret=conf_secret(secrets["ami"], field="ami secret"),
                 permit=conf_host(cfg.engine_address, field="engine_address"),
                 bind=conf_host(cfg.ami_bind, field="ami_bind")),
        seats=seats, supervisors=sups, queues=queues,
        centers=[dict(code=c.code, name=conf_value(c.name, field=f"centers.{c.code}.name"), skills=c.skills)
                 for c in directory.centers],
        province=directory.province_center.code,
        dids=sorted(carrier.dids),
        carrier=dict(name=conf_ident(carrier.name, field="trunks.carrier.name"), match=matches,
                     contact=_carrier_contact(options.carrier_contact, matches)),
        gov12345=dict(name=conf_ident(gov.name, field="trunks.gov12345.name"),
                      host=conf_host(gov.host, field="trunks.gov12345.host"), port=gov.port,
                      number=conf_ident(gov.number, field="trunks.gov12345.number")),
        tls_cert=conf_path(cfg.tls_cert_file, field="tls_cert_file"),
        tls_key=conf_path(cfg.tls_key_file, field="tls_key_file"),
        sip_bind=conf_host(cfg.sip_bind, field="sip_bind"),
        external=conf_host(cfg.external_address, field="external_address") if cfg.external_address else None,
        local_nets=[conf_host(n, field="local_nets") for n in cfg.local_nets],
        moh_dir=conf_path(cfg.moh_dir, field="moh_dir"),
        probe_address=conf_host(cfg.probe_address, field="probe_address") if cfg.probe_address else None,
        run_root=conf_path(cfg.run_root, field="run_root") if cfg.run_root else None,
        modules_dir=conf_path(cfg.modules_dir, field="modules_dir"),
        scripts=FASTAGI_SCRIPTS,
    )


def _phones(seats, secrets: dict[str, str]) -> list[dict]:
    return [dict(endpoint=conf_ident(s.endpoint, field=f"seats.{s.extension}"), extension=s.extension,
                 name=conf_callerid_name(s.name, field=f"seats.{s.extension}.name"),
                 center=s.center, secret=_phone_secret(secrets, s.endpoint))
            for s in seats]


def _supervisors(directory: Directory, secrets: dict[str, str]) -> list[dict]:
    return [dict(endpoint=f"sup{p.extension}", extension=p.extension,
                 name=conf_callerid_name(p.name, field=f"supervisor_phones.{p.extension}.name"),
                 center=p.center, secret=_phone_secret(secrets, f"sup{p.extension}"))
            for p in directory.supervisor_phones]


def _queues(directory: Directory) -> list[dict]:
    out = []
    for center in directory.centers:
        for skill_id in center.skills:
            skill = directory.skill(skill_id)
            name = conf_ident(directory.queue_name(center.code, skill_id), field=f"centers.{center.code}.skills")
            out.append(dict(name=name, center=center.code, skill=skill_id, level=center.level,
                            label=conf_value(f"{center.name} {skill.name if skill else skill_id}", field=name),
                            members=[s.extension for s in directory.queue_members(name)]))
    return out


def _phone_secret(secrets: dict[str, str], name: str) -> str:
    if name not in secrets:
        raise ConfigValueError(f"{name}: no SIP password in the secrets file")
    return conf_secret(secrets[name], field=f"{name} password")


def _carrier_contact(explicit: str | None, matches: list[str]) -> str | None:
    """Where calls to the carrier go: the explicit sip: URI, else the first single-address match."""
    if explicit:
        if not re.fullmatch(r"sips?:[A-Za-z0-9.-]+(:\d{1,5})?", explicit):
            raise ConfigValueError(f"carrier_contact: {explicit!r} must look like sip:host[:port]")
        return explicit
    for m in matches:
        net = _as_network(m)
        if net is not None and net.num_addresses == 1:
            return f"sip:{net.network_address}"
    return None


def _as_network(text: str):
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False,
    )
    env.filters.update(ident=conf_ident, value=conf_value, callerid=conf_callerid_name, path=conf_path,
                       secret=conf_secret, host=conf_host)
    return env


def render(directory: Directory, options: RenderOptions, secrets: dict[str, str]) -> dict[str, str]:
    """Render every config file; raise ConfigValueError naming the first value that cannot be written."""
    model = build_model(directory, options, secrets)
    env = _environment()
    out = {}
    for name in CONFIG_FILES:
        out[name] = env.get_template(f"{name}.j2").render(**model)
    return out


def write_files(files: dict[str, str], out_dir: Path, secret_files: tuple[str, ...] = ("pjsip.conf", "manager.conf")) -> list[Path]:
    """Write rendered files (each replaced atomically, so Asterisk never reads half a file);
    those holding passwords are created mode 0600."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path, tmp = out_dir / name, out_dir / f".{name}.tmp"
        mode = 0o600 if name in secret_files else 0o644
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        written.append(path)
    return written
