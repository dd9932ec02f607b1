"""A password hasher for the test suite only: Argon2id with the smallest cost, so that the thousands of users the
tests create and log in do not each spend a second hashing. The hash format is the production one (`argon2$argon2id$`
with its parameters in the hash), so a password set here verifies with the production hasher too."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8
    parallelism = 1
