"""One settings class for the whole system (env prefix HOTLINE_, optional .env file)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DEFAULT_SECRET = "change-me-in-production-please-0123456789"


class AmiNode(BaseModel):
    """One Asterisk node reached over AMI."""

    name: str = Field("node1", description="Short node name used in logs and call records")
    host: str = Field("127.0.0.1", description="AMI host")
    port: int = Field(5038, ge=1, le=65535, description="AMI TCP port")
    username: str = Field("engine", description="manager.conf user")
    secret: SecretStr = Field(SecretStr("engine"), description="manager.conf secret")


class Settings(BaseSettings):
    """Every knob of hotline12348. Nested values use `__`, e.g. HOTLINE_AMI_NODES='[...]' (JSON)."""

    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_", env_file=".env", env_file_encoding="utf-8",
        env_nested_delimiter="__", extra="ignore",
    )

    # --- storage
    database_url: str = Field(
        f"sqlite+aiosqlite:///{VAR / 'hotline.db'}",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db",
    )
    redis_url: str | None = Field(None, description="redis://127.0.0.1:6379/0 to fan events out across processes; None = in-process bus")
    var_dir: Path = Field(VAR, description="Runtime data directory (database file, logs, captures)")
    directory_file: Path = Field(ROOT / "hotline" / "data" / "directory.yaml", description="Regions, centers, skills, seats, hours, holidays")

    # --- PBX
    pbx_mode: Literal["pbxsim", "asterisk"] = Field("pbxsim", description="pbxsim = start the built-in Asterisk stand-in; asterisk = connect to ami_nodes")
    ami_nodes: list[AmiNode] = Field(default_factory=lambda: [AmiNode()], description="Asterisk nodes (AMI endpoints)")
    ami_capture_dir: Path | None = Field(None, description="If set, every raw AMI message is appended to a rotating capture log here")
    ami_ping_interval: float = Field(5.0, gt=0, description="Seconds between keepalive Pings")
    ami_action_timeout: float = Field(10.0, gt=0, description="Seconds to wait for an action response")
    fastagi_host: str = Field("127.0.0.1", description="FastAGI bind address")
    fastagi_port: int = Field(4573, ge=1, le=65535, description="FastAGI bind port")
    demo_traffic: bool = Field(True, description="With pbxsim: generate synthetic calls")
    demo_calls_per_minute: float = Field(6.0, ge=0, description="Demo traffic arrival rate")

    # --- web
    http_host: str = Field("127.0.0.1", description="HTTP bind address")
    http_port: int = Field(8000, ge=1, le=65535, description="HTTP bind port")
    log_json: bool = Field(False, description="Structured JSON logs")
    log_level: str = Field("INFO", description="Root log level")

    # --- security
    secret_key: SecretStr = Field(SecretStr(DEFAULT_SECRET),
                                  description="JWT signing key (at least 32 characters; set it in production)")
    token_minutes: int = Field(480, gt=0, description="Access-token lifetime (one shift)")
    login_max_failures: int = Field(5, gt=0, description="Failed logins per user+address before lock-out")
    login_window_seconds: int = Field(300, gt=0, description="Window for counting failed logins")

    # --- recordings and speech
    recordings_dir: Path = Field(VAR / "recordings", description="Where MixMonitor files land and are kept")
    retention_days: int = Field(180, gt=0, description="Recordings older than this may be purged")
    vosk_model_path: Path = Field(VAR / "models" / "vosk-model-cn-0.22", description="Vosk model directory (Mandarin in production)")
    transcription_workers: int = Field(1, ge=0, description="Worker processes, each loading one model (~530 MB)")
    prompts_dir: Path = Field(VAR / "prompts", description="Rendered IVR prompt audio")

    # --- integrations
    platform_url: str = Field("http://127.0.0.1:8100", description="12348 network platform (法网) ticket endpoint base URL")
    platform_key_id: str = Field("hotline", description="Key id sent with HMAC-signed requests")
    platform_secret: SecretStr = Field(SecretStr("platform-secret"), description="HMAC secret shared with the platform")
    gov12345_url: str = Field("http://127.0.0.1:8100/12345", description="12345 platform hand-off endpoint base URL")
    gov12345_secret: SecretStr = Field(SecretStr("gov12345-secret"), description="HMAC secret shared with 12345")
    webhook_tolerance_seconds: int = Field(300, gt=0, description="Max clock skew of signed webhooks (replay window)")

    @field_validator("secret_key")
    @classmethod
    def _secret(cls, v: SecretStr) -> SecretStr:
        if len(v.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (generate one: python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {v!r}")
        return v


class SettingsInvalid(ValueError):
    """A settings value (environment or .env) is malformed; the message names the variable."""


def _env_name(loc: tuple) -> str:
    head, *rest = loc
    name = "HOTLINE_" + str(head).upper()
    for part in rest:
        name += f"[{part}]" if isinstance(part, int) else f".{part}"
    return name


def describe_settings_error(exc: ValidationError | SettingsError) -> str:
    """One line per bad field: the environment variable, the problem and (unless secret) the value."""
    if isinstance(exc, SettingsError):
        cause = exc.__cause__
        head = f"  {exc}"
        return head + ("\n" + describe_settings_error(cause) if isinstance(cause, ValidationError) else
                       f": {cause}" if cause else "")
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"]) or ("?",)
        secret = any("secret" in str(p) or "password" in str(p) for p in loc)
        shown = "input" in err and not isinstance(err["input"], dict) and not secret
        given = f" (given: {err['input']!r})" if shown else ""
        lines.append(f"  {_env_name(loc)} ({'.'.join(map(str, loc))}): {err['msg']}{given}")
    return "\n".join(lines)


def load_settings(**overrides) -> Settings:
    """Settings from the environment and .env; raise SettingsInvalid naming each bad field."""
    try:
        return Settings(**overrides)
    except (ValidationError, SettingsError) as exc:
        raise SettingsInvalid("invalid settings\n" + describe_settings_error(exc)) from exc


@lru_cache
def get_settings() -> Settings:
    """Process-wide settings (tests build their own Settings and inject them)."""
    return load_settings()
