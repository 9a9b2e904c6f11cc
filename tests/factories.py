"""factory_boy factories shared by the whole suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.choices import AccountKind, BuyingRole
from accounts.models import Account, Contact
from kam.roles import ACCOUNT_MANAGER, INTEGRATION, KAM_DIRECTOR

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            # get_or_create: a transactional test (the browser tests) empties the tables the migration filled.
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
        if create:
            self.save()


def manager_factory(**kwargs):
    return UserFactory(role=ACCOUNT_MANAGER, **kwargs)


def director_factory(**kwargs):
    return UserFactory(role=KAM_DIRECTOR, **kwargs)


def integration_factory(**kwargs):
    return UserFactory(role=INTEGRATION, **kwargs)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Account {n:04d} GmbH")
    kind = AccountKind.CUSTOMER
    industry = "Technology"
    country = "DE"

    @factory.post_generation
    def team(self, create, extracted, **kwargs):
        if create and extracted:
            self.team.set(extracted)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    job_title = "Head of Purchasing"
    buying_role = BuyingRole.DECISION_MAKER
    influence = 4
    attitude = 1
