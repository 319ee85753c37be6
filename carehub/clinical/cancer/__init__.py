"""Cancer screening: cervical, breast, colorectal and gastric rules."""
