"""Cross-entropy through a frozen output layer, computed only at trained positions and chunk by chunk.

With LoRA or QLoRA the output layer is frozen, so its backward needs only the gradient for the hidden states.
That gradient is computed during the forward pass, chunk by chunk, and kept (N x hidden, small); the full
N x vocab logits (about 10 GB in fp32 for 16k tokens of a 152k vocabulary) are never alive at once, and positions
whose label is -100 (prompts, padding) never go through the output layer at all."""

from __future__ import annotations

from typing import Any

# Logit elements per chunk: 2^28 fp32 values = 1 GiB, plus as much again for the softmax.
CHUNK_ELEMENTS = 1 << 28


def frozen_head_is_plain(model: Any) -> bool:
    """True when the output layer is a frozen bias-free Linear and the model applies nothing to its logits
    (no softcapping or scaling), i.e. when the fused loss computes exactly what the model's own loss would."""
    import torch  # noqa: PLC0415

    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if not isinstance(head, torch.nn.Linear) or head.bias is not None or head.weight.requires_grad:
        return False
    config = getattr(model, "config", None)
    for attribute in ("final_logit_softcapping", "logit_scale", "output_multiplier_scale", "logits_scaling"):
        value = getattr(config, attribute, None)
        if value not in (None, 1, 1.0):
            return False
    return True


def make_frozen_head_cross_entropy() -> Any:
    import torch  # noqa: PLC0415

    class FrozenHeadCrossEntropy(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
            count = hidden.shape[0]
            chunk = max(1, CHUNK_ELEMENTS // weight.shape[0])
            total = torch.zeros((), dtype=torch.float32, device=hidden.device)
            grad_hidden = torch.empty_like(hidden) if hidden.requires_grad else None
            hidden_cast = hidden.to(weight.dtype)
            for start in range(0, count, chunk):
                part = hidden_cast[start:start + chunk]
                target = targets[start:start + chunk]
                logits = (part @ weight.t()).float()
                log_normaliser = torch.logsumexp(logits, dim=-1)
                total += (log_normaliser - logits.gather(1, target[:, None]).squeeze(1)).sum()
                if grad_hidden is not None:
                    probabilities = logits.sub_(log_normaliser[:, None]).exp_()
                    probabilities[torch.arange(target.shape[0], device=target.device), target] -= 1.0
                    grad_hidden[start:start + chunk] = (probabilities.to(weight.dtype) @ weight).to(hidden.dtype)
                del logits
            ctx.save_for_backward(grad_hidden if grad_hidden is not None else hidden.new_empty(0))
            return total

        @staticmethod
        def backward(ctx: Any, grad_total: torch.Tensor) -> tuple[Any, None, None]:
            (grad_hidden,) = ctx.saved_tensors
            return grad_hidden * grad_total.to(grad_hidden.dtype), None, None

    return FrozenHeadCrossEntropy


def causal_lm_loss_sum(causal_lm: Any, hidden_states: Any, labels: Any, function: Any) -> tuple[Any, int]:
    """(sum of token losses, number of trained tokens) for next-token prediction."""
    shifted_hidden = hidden_states[:, :-1, :]
    shifted_labels = labels[:, 1:]
    keep = shifted_labels != -100
    selected_hidden = shifted_hidden[keep]
    selected_labels = shifted_labels[keep]
    weight = causal_lm.get_output_embeddings().weight
    return function.apply(selected_hidden, weight, selected_labels), int(selected_labels.numel())
