"""One module per dataset; each registers its loader and schema when imported."""
