"""Reference solutions of every exercise of the course (INSTRUCTOR ONLY).

This package is the single source of truth: the solution cells of the source
notebooks and the hidden tests are checked against it. It is never shipped to
learners (see :mod:`course.bundle`). Every name below is a fixed public API.
"""

from .activations import *  # noqa: F401,F403
from .activations import __all__ as _activations
from .affine_maps import *  # noqa: F401,F403
from .affine_maps import __all__ as _affine_maps
from .augmentation import *  # noqa: F401,F403
from .augmentation import __all__ as _augmentation
from .batchnorm import *  # noqa: F401,F403
from .batchnorm import __all__ as _batchnorm
from .clipping import *  # noqa: F401,F403
from .clipping import __all__ as _clipping
from .dropout import *  # noqa: F401,F403
from .dropout import __all__ as _dropout
from .early_stopping import *  # noqa: F401,F403
from .early_stopping import __all__ as _early_stopping
from .initialization import *  # noqa: F401,F403
from .initialization import __all__ as _initialization
from .layers import *  # noqa: F401,F403
from .layers import __all__ as _layers
from .losses import *  # noqa: F401,F403
from .losses import __all__ as _losses
from .model_selection import *  # noqa: F401,F403
from .model_selection import __all__ as _model_selection
from .networks import *  # noqa: F401,F403
from .networks import __all__ as _networks
from .normalization import *  # noqa: F401,F403
from .normalization import __all__ as _normalization
from .numerical import *  # noqa: F401,F403
from .numerical import __all__ as _numerical
from .optimizers import *  # noqa: F401,F403
from .optimizers import __all__ as _optimizers
from .regularization import *  # noqa: F401,F403
from .regularization import __all__ as _regularization
from .sanity_checks import *  # noqa: F401,F403
from .sanity_checks import __all__ as _sanity_checks
from .schedules import *  # noqa: F401,F403
from .schedules import __all__ as _schedules
from .softmax_layers import *  # noqa: F401,F403
from .softmax_layers import __all__ as _softmax_layers
from .trainer import *  # noqa: F401,F403
from .trainer import __all__ as _trainer
from .training import *  # noqa: F401,F403
from .training import __all__ as _training

__all__ = [
    *_activations,
    *_affine_maps,
    *_losses,
    *_numerical,
    *_layers,
    *_softmax_layers,
    *_batchnorm,
    *_normalization,
    *_dropout,
    *_optimizers,
    *_schedules,
    *_clipping,
    *_regularization,
    *_initialization,
    *_early_stopping,
    *_networks,
    *_trainer,
    *_training,
    *_sanity_checks,
    *_model_selection,
    *_augmentation,
]
