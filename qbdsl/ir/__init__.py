"""The intermediate representations and what they are made of.

- :mod:`~qbdsl.ir.problem`: :class:`Problem`, a model lowered to flat arrays (the compiler's input);
- :mod:`~qbdsl.ir.poly`: :class:`Poly`, rows of degree-2 polynomials in CSR/COO form;
- :mod:`~qbdsl.ir.qubo` and :mod:`~qbdsl.ir.terms`: :class:`QuboIR` and its coefficient blocks;
- :mod:`~qbdsl.ir.milp`: :class:`MilpIR`, a linear program with integrality;
- :mod:`~qbdsl.ir.maps`: the passes' inverse data, composed into one affine decode map;
- :mod:`~qbdsl.ir.bits` and :mod:`~qbdsl.ir.sources`: bounded binary encodings and where each bit came from.

The IRs depend on nothing in the compiler (:mod:`qbdsl.passes`), which builds them.
"""
