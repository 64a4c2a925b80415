"""A private dovecot (Debian's dovecot-imapd, which tests/services.sh installs) for the IMAP
tests: its own config file, mail directory and passwd-file user under a temporary
directory, plain login on a free loopback port; never the system's instance.

Dovecot refuses to serve mail as root, so when the tests run as root the mail belongs to
`nobody`; run as anyone else, every dovecot process is that user."""
from __future__ import annotations

import getpass
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from support import free_port, wait_for

USER, PASSWORD = "desk", "imap-test-secret-7f3a"


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None)


class Dovecot:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="msgrouter-dovecot-"))
        self.dir.chmod(0o755)  # the login and auth processes run as other users
        self.conf = self.dir / "dovecot.conf"
        self.log = self.dir / "dovecot.log"
        self._proc: subprocess.Popen | None = None

    def _config(self) -> str:
        mail = self.dir / "mail"
        mail.mkdir()
        if os.geteuid() == 0:
            owner = pwd.getpwnam("nobody")
            os.chown(mail, owner.pw_uid, owner.pw_gid)
            uid, gid, users = owner.pw_uid, owner.pw_gid, ""
        else:
            me = getpass.getuser()
            uid, gid = os.getuid(), os.getgid()
            users = f"default_login_user = {me}\ndefault_internal_user = {me}\n"
        (self.dir / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        return f"""# the IMAP tests' own dovecot: nothing of /etc/dovecot is read
base_dir = {self.dir}/run
state_dir = {self.dir}/state
instance_name = msgrouter-test-{self.port}
{users}protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {self.log}
mail_location = maildir:{mail}/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""

    def __enter__(self) -> Dovecot:
        binary = dovecot_binary()
        assert binary, "dovecot is not installed (tests/services.sh installs dovecot-imapd)"
        self.conf.write_text(self._config())
        # -F: in the foreground, as our child, so it ends with us whatever happens.
        self._proc = subprocess.Popen([binary, "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, start_new_session=True)
        wait_for(self._listening, timeout=20, what="dovecot to listen")
        return self

    def _listening(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise AssertionError(f"dovecot exited: {self._proc.stderr.read().decode() if self._proc.stderr else ''}"
                                 f"{self.log.read_text() if self.log.exists() else ''}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            # Killed, not asked to stop: its mail is deleted next, and dovecot's own
            # shutdown took a second of every IMAP test. Its whole process group (its
            # login and imap processes too), which start_new_session made.
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def settings(self, **more: str) -> dict[str, str]:
        """The MSGROUTER_IMAP_ settings that point msgrouter at this mailbox."""
        return {"MSGROUTER_IMAP_HOST": "127.0.0.1", "MSGROUTER_IMAP_PORT": str(self.port),
                "MSGROUTER_IMAP_USER": USER, "MSGROUTER_IMAP_PASSWORD": PASSWORD,
                "MSGROUTER_IMAP_TLS": "off", **more}

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def append(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Deliver a mail the way a mail client files one: IMAP APPEND."""
        client = self.client()
        try:
            if mailbox != "INBOX":
                client.create(mailbox)  # NO when it exists: fine
            typ, data = client.append(mailbox, None, None, raw)
            assert typ == "OK", data
        finally:
            client.logout()

    def flags(self, mailbox: str = "INBOX") -> list[str]:
        """Each mail's flags, in UID order."""
        client = self.client()
        try:
            client.select(mailbox, readonly=True)
            _, data = client.uid("FETCH", "1:*", "(FLAGS)")
            found = [re.search(rb"FLAGS \(([^)]*)\)", line) for line in data if isinstance(line, bytes)]
            return [m.group(1).decode() for m in found if m]
        finally:
            client.logout()

    def count(self, mailbox: str = "INBOX") -> int:
        client = self.client()
        try:
            typ, data = client.select(mailbox, readonly=True)
            return int(data[0]) if typ == "OK" else 0
        finally:
            client.logout()

    def recreate(self, mailbox: str) -> None:
        """Delete and create the mailbox again: the server gives it a new UIDVALIDITY."""
        client = self.client()
        try:
            client.delete(mailbox)
            client.create(mailbox)
        finally:
            client.logout()

    def bodies_fetched(self) -> int:
        """Mails whose body any IMAP session fetched, by dovecot's own count (body_count= on
        each session's logout line); a session is counted once it has ended."""
        time.sleep(0.2)  # the log process writes the session's last line after the client is gone
        return sum(int(n) for n in re.findall(r"body_count=(\d+)", self.log.read_text()))
