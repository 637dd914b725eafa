"""Operations, apart from the book's display (`rethink_lib.report`): machine time and records.

budget     machine time against a profile's budget; what the budget left out
execution  the execution report page: chapters' profile, device, versions, stored runs
precision  the precision check: one config trained in fp32 and in bf16
probes     recipe-probe records (docs/probes/): written by scripts, read by the chapters
"""
