"""The condensed Horizon contract: operations, schemas and list facts, loaded once."""

from hzsim.contract.model import Contract, Operation, Parameter, load_contract

__all__ = ["Contract", "Operation", "Parameter", "load_contract"]
