from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yingdu.tlog import NoteError, SignerKey
from yingdu.tlog.policy import rotation_statement
from yingdu.transparency.keys import signing_key
from yingdu.transparency.selectors import published_trust_policy, published_verifier_keys, signed_tree_size


class Command(BaseCommand):
    help = ("Print the log's verifier keys (C2SP vkey text), newest first, for `yingdu-verify --key`; with --policy "
            "the trust policy file for `yingdu-verify --witness-policy`; with --rotate-to NEW_KEY_FILE a key rotation "
            "statement signed by the current key, handing over to the new key at the latest signed tree size.")

    def add_arguments(self, parser):
        parser.add_argument("--policy", action="store_true", help="print the trust policy file")
        parser.add_argument("--rotate-to", metavar="NEW_KEY_FILE",
                            help="the new private signing key file (same name: the log's origin)")

    def handle(self, *args, policy: bool = False, rotate_to: str | None = None, **options):
        if rotate_to:
            try:
                new_key = SignerKey.parse(Path(rotate_to).read_text())
                statement = rotation_statement(old_key=signing_key(), new_key=new_key.verifier_key,
                                               tree_size=signed_tree_size())
            except (OSError, NoteError) as error:
                raise CommandError(str(error)) from None
            self.stdout.write(statement, ending="")
            return
        if policy:
            self.stdout.write(published_trust_policy(), ending="")
            return
        for key in published_verifier_keys():
            self.stdout.write(key)
