"""Errors a user can act on, each with a plain-language `message` and never any patient data.

Anything else that goes wrong in the store is a bug and raises whatever Python raises.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base for errors the user can act on. `message` is shown to the user as it is."""

    message = "Wardlink could not open your local data."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class WrongPassword(StoreError):
    message = "That password is not right. Check it and try again."


class KeyringUnavailable(StoreError):
    message = (
        "This computer's secure key store is not available, so Wardlink cannot protect your "
        "data. Ask IT to check the computer's credential store."
    )


class KeyringChanged(StoreError):
    message = (
        "This computer's secure key store has changed since your profile was set up here, so "
        "your local data cannot be opened. Sign in online to set the profile up again, or ask IT."
    )


class DeviceSecretMissing(StoreError):
    message = (
        "This computer's key for your profile is missing from its secure key store. Your local "
        "data has not been changed. Sign in online or ask IT for help."
    )


class DeviceSecretMismatch(StoreError):
    message = (
        "This profile was set up on a different computer (or this computer's key store was "
        "reset) and cannot be opened here. Sign in online to set up a new profile."
    )


class KeySlotsDamaged(StoreError):
    message = (
        "The key file of your profile is damaged, so your local data cannot be opened. "
        "Sign in online to set the profile up again, or ask IT."
    )


class DatabaseDamaged(StoreError):
    message = (
        "Your local Wardlink data is damaged and cannot be opened. It has not been deleted. "
        "Ask IT for help."
    )


class DatabaseTooNew(StoreError):
    message = (
        "Your local data was written by a newer version of Wardlink. Update Wardlink on this "
        "computer; your data has not been changed."
    )


class DiskFull(StoreError):
    message = (
        "This computer's disk is full, so Wardlink could not save. Nothing was lost: free some "
        "space (or ask IT) and try again."
    )


class ProfileNotFound(StoreError):
    message = "There is no Wardlink profile for that person on this computer."


class ProfileExists(StoreError):
    message = "A Wardlink profile for that person already exists on this computer."


class ProfileLocked(StoreError):
    message = "Your profile is locked. Unlock it with your password."


class EscrowKeyRejected(StoreError):
    message = (
        "The recovery key from the server does not open your profile on this computer. "
        "Ask IT for help."
    )
