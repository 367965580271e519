"""The audit trail: run folders, their manifests, the facts the notebooks recorded, and views of them."""
