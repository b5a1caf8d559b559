"""Catalogue markers for the RegistryError messages raised by operations.py.

Operations raise English msgids that are translated only when shown (RegistryError.render), so
Babel's extractor cannot see them at the raise site. Marking them here keeps them in the catalogue;
tests/registry/test_operations_messages.py fails when an operation message is missing here.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 — the conventional name Babel extracts (-k N_)
    """Mark a msgid for extraction without translating it."""
    return message


OPERATION_MESSAGES = (
    N_('“%(value)s” is not a town-level unit of the city.'),
    N_('The name is required.'),
    N_('“%(value)s” is not a subclass of this category.'),
    N_('Choose the subclass used for classified assessment.'),
    N_('Operation cannot start (%(value)s) before the institution was established.'),
    N_('The self-controlled area (%(value)s m²) cannot exceed the gross floor area.'),
    N_('The credit code %(value)s is already registered to “%(name)s” (#%(other)s).'),
    N_('The date the recognition takes effect is required.'),
    N_('The end date (%(value)s) must be after the start date (%(start)s).'),
    N_('An end date and a reason for ending go together.'),
    N_('Only maker spaces can be national-filed (国家备案).'),
    N_('Only incubators can be national candidate units (培育单位).'),
    N_('The end date is required.'),
    N_('Give the reason for ending the recognition.'),
    N_('This recognition already ended on %(value)s.'),
    N_('The institution is already in this status.'),
    N_('Cannot move from %(current)s to %(value)s.'),
    N_('The date (%(value)s) is before the previous status change (%(last)s).'),
    N_('Give the reason for the exit.'),
    N_('New-type R&D institutions do not host tenants in the registry.'),
    N_('The exit date (%(value)s) is before the entry date (%(entered)s).'),
    N_('An exit date and a reason for leaving go together.'),
    N_('Only graduates meet a graduation criterion.'),
    N_('Name the graduation criterion the firm met.'),
    N_('This tenancy already ended on %(value)s.'),
    N_('The exit date is required.'),
    N_('“%(value)s” is not a valid unified social credit code: the check digit is wrong.'),
    N_('“%(value)s” is not a unified social credit code: 18 characters are expected.'),
    N_('“%(value)s” is not a unified social credit code: it contains characters that are not allowed.'),
    N_('An area cannot be negative (found %(value)s).'),
    N_('The sold area (%(value)s m²) cannot exceed the divisible area.'),
    N_('This overlaps the %(level)s recognition in force since %(start)s (not ended).'),
    N_('The firm is already hosted by another carrier from %(start)s.'),
    N_('This overlaps the %(level)s recognition in force from %(start)s to %(end)s.'),
)

#: strings of templates/_macros/forms.html used by the registry forms: Babel's extractor skips
#: directories whose name starts with "_", so they are marked here until babel.cfg lists that folder
SHARED_TEMPLATE_MESSAGES = (
    N_("Please correct the highlighted fields."),
    N_("Pages"),
    N_("Previous"),
    N_("Next"),
    N_("Page %(page)s of %(pages)s"),
)
