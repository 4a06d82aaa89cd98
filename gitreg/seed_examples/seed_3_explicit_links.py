"""The seed's third block: linking explicitly, inside and outside a step.

An earlier `save_artifact(..., name="existing_artifact")` comes before the block and a call
of `f_()` after it; the block is unchanged apart from zenml -> gitreg.
Run it inside any git repository.
"""

from gitreg import save_artifact as _save

_save(data={"rows": 100}, name="existing_artifact")

# --- the seed's block
from gitreg import step, Model, link_artifact_to_model, save_artifact
from gitreg.client import Client


@step
def f_() -> None:
    # produce new artifact
    new_artifact = save_artifact(data="Hello, World!", name="manual_artifact")
    # and link it inside a step
    link_artifact_to_model(
        artifact_version_id=new_artifact.id,
        model=Model(name="MyModel", version="0.0.42"),
    )


# use existing artifact
existing_artifact = Client().get_artifact_version(name_id_or_prefix="existing_artifact")
# and link it even outside a step
link_artifact_to_model(
    artifact_version_id=existing_artifact.id,
    model=Model(name="MyModel", version="0.2.42"),
)

# --- added after the block: run it
if __name__ == "__main__":
    f_()
    print(Client().get_model_version("MyModel", "0.0.42").get_artifact("manual_artifact"))
