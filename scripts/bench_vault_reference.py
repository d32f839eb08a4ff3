"""Per-field sealing in Python with `cryptography`, the library a data team
would reach for: the same AEAD (AES-256-GCM-SIV) with a random 96-bit nonce and the same
associated data (tenant, subject, field) and field sizes as
`cargo bench -p rapport-vault`. Single thread. Prints ops/s.

    python3 scripts/bench_vault_reference.py
"""
import os
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV

FIELDS = [
    b"Ada Byron",
    b"ada@example.com",
    b"+44 20 7946 0958",
    b"Lovelace",
    b"ada.king.lovelace@analytical-engine.org",
    b"12 St James's Sq",
]
NAMES = [b"name", b"email", b"phone", b"name", b"email", b"address"]


def ad(tenant, subject, field):
    return len(tenant).to_bytes(4, "big") + tenant + subject + len(field).to_bytes(4, "big") + field


def measure(label, op, seconds=2.0):
    for i in range(10_000):
        op(i)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i in range(10_000):
            op(i)
        n += 10_000
    secs = time.perf_counter() - start
    print(f"{label}: {n} ops in {secs:.3f} s = {n / secs:.0f} ops/s/core")


def main():
    tenant, subject = os.urandom(16), os.urandom(16)
    aead = AESGCMSIV(AESGCMSIV.generate_key(256))
    ads = [ad(tenant, subject, f) for f in NAMES]

    def seal(i):
        k = i % 6
        nonce = os.urandom(12)
        return nonce + aead.encrypt(nonce, FIELDS[k], ads[k])

    sealed = [seal(i) for i in range(6)]

    def open_(i):
        k = i % 6
        s = sealed[k]
        return aead.decrypt(s[:12], s[12:], ads[k])

    measure("python cryptography seal", seal)
    measure("python cryptography open", open_)


if __name__ == "__main__":
    main()
