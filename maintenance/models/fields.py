from decimal import Decimal

from django.core.validators import MinValueValidator

ZERO = Decimal("0")
MONEY = {"max_digits": 14, "decimal_places": 2}
HOURS = {"max_digits": 9, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 3}
NON_NEGATIVE = [MinValueValidator(ZERO)]
