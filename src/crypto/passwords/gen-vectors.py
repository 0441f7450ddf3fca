#!/usr/bin/python3
# Generates the literal test vectors in verify-vectors.test.ts with tools independent of Rampart:
#   argon2 CLI (Debian package "argon2"), htpasswd (apache2-utils), Python 3 stdlib (hashlib, hmac,
#   base64, crypt = glibc crypt(3)) and python3-bcrypt. Every vector is then cross-checked with passlib 1.7.4
#   (Debian python3-passlib, the library Flask-Security uses) replaying Flask-Security 5.x's verify_password:
#   secret = base64(HMAC-SHA512(PASSWORD_SALT, password)) when the salt is set, [:72] for bcrypt.
# Run: /usr/bin/python3 src/crypto/passwords/gen-vectors.py   (output differs each run for the random-salt tools)
import base64, crypt, hashlib, hmac, json, subprocess, unicodedata, warnings
import bcrypt
from passlib.context import CryptContext

warnings.filterwarnings("ignore")
PASSWORD = "password"
FS_SALT = "salty"


def prehash(pw: str) -> str:
    return base64.b64encode(hmac.new(FS_SALT.encode(), pw.encode(), hashlib.sha512).digest()).decode("ascii")


def ab64(b: bytes) -> str:
    return base64.b64encode(b).decode().rstrip("=").replace("+", ".")


def argon2_cli(secret: str, flag: str, m: int, t: int, p: int, salt="saltsaltsaltsalt") -> str:
    out = subprocess.run(["argon2", salt, flag, "-t", str(t), "-k", str(m), "-p", str(p), "-l", "32", "-e"],
                         input=secret.encode(), capture_output=True, check=True)
    return out.stdout.decode().strip()


def htpasswd(secret: str, cost: int) -> str:
    out = subprocess.run(["htpasswd", "-bnBC", str(cost), "u", secret], capture_output=True, check=True)
    return out.stdout.decode().strip().split(":", 1)[1]


def pbkdf2(digest: str, secret: str, rounds: int, salt: bytes) -> str:
    dk = hashlib.pbkdf2_hmac(digest, secret.encode(), salt, rounds)
    return f"$pbkdf2-{digest}${rounds}${ab64(salt)}${ab64(dk)}"


PRE = prehash(PASSWORD)
v = {"prehash": PRE}
for name, secret in (("plain", PASSWORD), ("fs", PRE)):
    v[f"argon2id_{name}"] = argon2_cli(secret, "-id", 19456, 2, 1)
    v[f"argon2i_{name}"] = argon2_cli(secret, "-i", 4096, 3, 1)
    v[f"argon2d_{name}"] = argon2_cli(secret, "-d", 4096, 3, 1)
    v[f"argon2id_m512_{name}"] = argon2_cli(secret, "-id", 512, 2, 2)
    bsecret = secret[:72]
    v[f"bcrypt_2y_{name}"] = htpasswd(bsecret, 5)
    v[f"bcrypt_2b_{name}"] = bcrypt.hashpw(bsecret.encode(), bcrypt.gensalt(5)).decode()
    v[f"bcrypt_2a_{name}"] = bcrypt.hashpw(bsecret.encode(), bcrypt.gensalt(5, b"2a")).decode()
    v[f"bcrypt_2b_cost12_{name}"] = bcrypt.hashpw(bsecret.encode(), bcrypt.gensalt(12)).decode()
    v[f"pbkdf2_sha256_{name}"] = pbkdf2("sha256", secret, 29000, b"0123456789abcdef")
    v[f"pbkdf2_sha512_{name}"] = pbkdf2("sha512", secret, 25000, bytes(range(200, 216)))
    v[f"sha256_crypt_{name}"] = crypt.crypt(secret, "$5$rounds=10000$sAlT5alt")
    v[f"sha256_crypt_implicit_{name}"] = crypt.crypt(secret, "$5$shortsalt")
    v[f"sha512_crypt_{name}"] = crypt.crypt(secret, "$6$rounds=10000$16charsaltsalt16")
    v[f"sha512_crypt_implicit_{name}"] = crypt.crypt(secret, "$6$saltsalt")
# What FS 5.x writes by default: passlib 1.7.4's argon2 takes argon2-cffi's parameters (m=102400,t=2,p=8).
v["argon2id_passlib_defaults_fs"] = argon2_cli(PRE, "-id", 102400, 2, 8)
# FS < 5.7 fed bcrypt the whole 88-char pre-hash; bcrypt (here htpasswd) only reads the first 72 bytes.
v["bcrypt_2y_fs_untruncated"] = htpasswd(PRE, 5)
# NFKD: "café" with U+00E9 is stored as NFKD ("cafe" + U+0301), as Flask-Security normalizes before hashing.
CAFE = unicodedata.normalize("NFKD", "caf\u00e9")
v["argon2id_nfkd_plain"] = argon2_cli(CAFE, "-id", 19456, 2, 1)
v["argon2id_nfkd_fs"] = argon2_cli(prehash(CAFE), "-id", 19456, 2, 1)
v["sha512_crypt_nfkd_plain"] = crypt.crypt(CAFE, "$6$saltsalt")
# Slow enough (200000 rounds) to show that SHA-crypt does not block the event loop.
v["sha512_crypt_200k_plain"] = crypt.crypt(PASSWORD, "$6$rounds=200000$slowslow")

# Cross-check against passlib replaying Flask-Security 5.x verify_password.
ctx = CryptContext(schemes=["bcrypt", "argon2", "des_crypt", "pbkdf2_sha256", "pbkdf2_sha512",
                            "sha256_crypt", "sha512_crypt", "plaintext"])


def fs_verify(pw: str, stored: str, salt) -> bool:
    if salt:
        secret = base64.b64encode(hmac.new(salt.encode(), pw.encode(), hashlib.sha512).digest())
        if ctx.identify(stored) == "bcrypt":
            secret = secret[:72]
    else:
        secret = pw
    return ctx.verify(secret, stored)


for k, h in v.items():
    if k in ("prehash", "ab64"):
        continue
    salt = FS_SALT if "_fs" in k else None
    pw = CAFE if "nfkd" in k else PASSWORD
    assert fs_verify(pw, h, salt), k
    assert not fs_verify(pw + "x", h, salt), k
# passlib's ab64 of a few byte strings (hex -> ab64), checked against passlib.utils.binary.ab64_encode.
from passlib.utils.binary import ab64_encode
samples = ["", "fb", "fbef", "fbefbe", "00ff10", "30313233343536373839616263646566"]
v["ab64"] = {h: ab64(bytes.fromhex(h)) for h in samples}
assert all(ab64_encode(bytes.fromhex(h)).decode() == e for h, e in v["ab64"].items())
print(json.dumps(v, indent=2))
