"""The password rules both apps apply when a password is set (after NIST SP 800-63B: length, not
composition rules): 8 to 256 characters, not the username, not one of the passwords guessed first."""
from central_sync.protocol.errors import ValidationFailed

MIN_LENGTH, MAX_LENGTH = 8, 256
RULES = f"A password has {MIN_LENGTH} to {MAX_LENGTH} characters and is neither the username nor a common password."

# What an attacker tries first: the commonest passwords, and their Vietnamese favourites.
COMMON = frozenset("""
12345678 123456789 1234567890 0123456789 12341234 87654321 11111111 00000000 88888888 66666666 99999999
password password1 password123 passw0rd qwerty123 qwertyui abc12345 abcd1234 iloveyou admin123 administrator
welcome1 letmein1 sunshine football baseball dragon123 monkey123 trustno1 1q2w3e4r 1qaz2wsx zaq12wsx
matkhau matkhau1 matkhau123 anhyeuem emyeuanh yeuemnhieu vietnam1 vietnam123 saigon123 hanoi123 daklak123
buonmathuot 12345678a a12345678 123456aa 123456789a
""".split())


def check_password(password: str, username: str = "") -> None:
    """Raise ValidationFailed (field ``password``) unless ``password`` follows the rules."""
    lowered = password.lower()
    name = username.strip().lower()
    if (not MIN_LENGTH <= len(password) <= MAX_LENGTH or lowered in COMMON or len(set(lowered)) < 3
            or (len(name) >= 3 and name in lowered)):
        raise ValidationFailed(RULES, field="password")


def refuse_demo_logins(config) -> None:
    """The demo's users have published passwords: loading them is refused in production."""
    if config["APP_ENV"] == "production":
        raise ValidationFailed("The demo users have published passwords: seed-demo is refused in production "
                               "(APP_ENV=production). Create the first user with `users create`.")
