"""up2u-cba: cost-benefit analysis of the Up2U domestic-abuse perpetrator programme.

The whole tool in one line (see ``pipeline.run``):

    load (unit costs, cases, settings) -> check -> calculate -> build report -> render
"""

__version__ = "0.1.0"
