"""The newborn service's forms and catalogue: the application (start form), the clerks' review forms,
the seven items and their departments, the facts the decision tables read, the regions."""
