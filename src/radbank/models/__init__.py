"""Models: the registry and the built-in architectures (one file each; registering imports nothing heavy)."""

from radbank.models.registry import ModelEntry, create_model, model_entry, model_names, register_model

register_model(
    "seedcnn",
    "radbank.models.seedcnn:build",
    cam_layer="features",
    description="the tutorial's 32-64-128 CNN with strided convolutions, batch norm and avg+max pooling",
)
register_model(
    "tutorialcnn",
    "radbank.models.tutorialcnn:build",
    cam_layer="features",
    description="the tutorial's Keras network, layer for layer",
)
register_model(
    "densenet121",
    "radbank.models.monai_nets:densenet121",
    cam_layer="class_layers.relu",
    description="MONAI DenseNet-121, 2-D, trained from scratch",
)
register_model(
    "resnet18",
    "radbank.models.monai_nets:resnet18",
    cam_layer="layer4",
    description="MONAI ResNet-18, 2-D, trained from scratch",
)

__all__ = ["ModelEntry", "create_model", "model_entry", "model_names", "register_model"]
