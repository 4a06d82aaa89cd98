"""The seed's first block: a model configured on a pipeline (zenml -> gitreg).

Run it inside any git repository: `python examples/seed_1_pipeline_model.py`.
"""

from gitreg import Model, pipeline

model = Model(
    name="my_model",
    version="1.0.0"
)

@pipeline(model=model)
def my_pipeline():
    ...

# --- added after the block: run it
if __name__ == "__main__":
    my_pipeline()
    print("registered:", model.name, model.version)
