"""Forms of user tasks: the model built from Spiff's parsed ``camunda:formData``,
server-side validation and type conversion, and Camunda REST typed variables.

No Flask and no SQL here: ``web/`` renders and submits, ``engine/`` stores.
"""
from forms.convert import ConversionError
from forms.model import Field, Form, FormNote, Option
from forms.text import MAX_TEXT_LENGTH, clean_text
from forms.validate import initial_values, refused_keys, validate, validate_or_raise
from forms.variables import form_variables, from_camunda, to_camunda, typed_value

__all__ = [
    "MAX_TEXT_LENGTH",
    "ConversionError",
    "Field",
    "Form",
    "FormNote",
    "Option",
    "clean_text",
    "form_variables",
    "from_camunda",
    "initial_values",
    "refused_keys",
    "to_camunda",
    "typed_value",
    "validate",
    "validate_or_raise",
]
