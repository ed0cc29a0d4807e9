"""A `POST /v1/chat/completions` body checked into a ChatRequest, or a 400 naming the field (`messages[2].content`,
`temperature` …), with the same rules and codes as the built-in server (src/core/serving/chatCompletionRequest.ts):
harmless unknown fields are ignored as OpenAI ignores them; fields asking for something this server cannot honour
(tools, structured output, log probabilities, several choices, audio, penalties) are refused by name."""

from __future__ import annotations

import json
import math
from typing import Any

from .generation import ChatRequest, ServeError

MAX_STOP_SEQUENCES = 4
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
SAFE_INTEGER = 2**53 - 1


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def invalid(param: str | None, message: str, code: str | None = None) -> ServeError:
    return ServeError(400, message, param, code)


def unsupported(param: str, what: str) -> ServeError:
    return invalid(param, f"'{param}' is not supported by this server: {what}.", "unsupported_parameter")


def parse_json_body(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise invalid(None, "We could not parse the JSON body of your request. Send a JSON object with the header "
                      "Content-Type: application/json.", "invalid_json") from error


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid(None, f"The request body must be a JSON object, not {_describe(body)}.", "invalid_body")
    return body


def required_string(fields: dict[str, Any], param: str) -> str:
    value = fields.get(param)
    if value is None:
        raise invalid(param, f"Missing required parameter: '{param}'.", "missing_required_parameter")
    if not isinstance(value, str) or not value:
        raise invalid(param, f"'{param}' must be a non-empty string, not {_describe(value)}.", "invalid_type")
    return value


def _optional_bool(fields: dict[str, Any], param: str) -> bool | None:
    value = fields.get(param)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid(param, f"'{param}' must be a boolean, not {_describe(value)}.", "invalid_type")
    return value


def _optional_number(fields: dict[str, Any], param: str, low: float, high: float, low_exclusive: bool = False
                     ) -> float | None:
    value = fields.get(param)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise invalid(param, f"'{param}' must be a number, not {_describe(value)}.", "invalid_type")
    if (value <= low if low_exclusive else value < low) or value > high:
        lower = f"greater than {low:g}" if low_exclusive else f"at least {low:g}"
        raise invalid(param, f"'{param}' must be {lower} and at most {high:g}; got {value}.")
    return float(value)


def _optional_int(fields: dict[str, Any], param: str, low: int, high: int) -> int | None:
    value = fields.get(param)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > SAFE_INTEGER:
        shown = value if isinstance(value, (int, float)) and not isinstance(value, bool) else _describe(value)
        raise invalid(param, f"'{param}' must be an integer, not {shown}.", "invalid_type")
    if value < low or value > high:
        raise invalid(param, f"'{param}' must be between {low} and {high}; got {value}.")
    return value


def _content(value: Any, at: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise invalid(at, f"'{at}' is missing: every message needs text content.", "missing_required_parameter")
    if not isinstance(value, list):
        raise invalid(at, f"'{at}' must be a string or an array of text parts, not {_describe(value)}.", "invalid_type")
    texts = []
    for index, part in enumerate(value):
        part_at = f"{at}[{index}]"
        if not isinstance(part, dict):
            raise invalid(part_at, f"'{part_at}' must be an object like {{\"type\": \"text\", \"text\": \"…\"}}, not "
                          f"{_describe(part)}.", "invalid_type")
        if part.get("type") != "text":
            raise invalid(f"{part_at}.type", f"'{part_at}.type' is {part.get('type')!r}: this server takes text parts "
                          "only.", "unsupported_content_type")
        if not isinstance(part.get("text"), str):
            raise invalid(f"{part_at}.text", f"'{part_at}.text' must be a string, not {_describe(part.get('text'))}.",
                          "invalid_type")
        texts.append(part["text"])
    return "".join(texts)


def _messages(value: Any) -> list[dict[str, str]]:
    if value is None:
        raise invalid("messages", "Missing required parameter: 'messages'.", "missing_required_parameter")
    if not isinstance(value, list):
        raise invalid("messages", f"'messages' must be an array, not {_describe(value)}.", "invalid_type")
    if not value:
        raise invalid("messages", "'messages' must hold at least one message.", "empty_array")
    messages = []
    for index, message in enumerate(value):
        at = f"messages[{index}]"
        if not isinstance(message, dict):
            raise invalid(at, f"'{at}' must be an object with 'role' and 'content', not {_describe(message)}.",
                          "invalid_type")
        role = message.get("role")
        if not isinstance(role, str):
            raise invalid(f"{at}.role", f"'{at}.role' must be a string, not {_describe(role)}.", "invalid_type")
        if role not in ROLES:
            why = (f"role '{role}' is not supported: this server does not call tools" if role in ("tool", "function")
                   else f"'{role}' is not a role; use 'system', 'developer', 'user' or 'assistant'")
            raise invalid(f"{at}.role", f"'{at}.role': {why}.", "invalid_role")
        for tool_field in ("tool_calls", "function_call", "audio"):
            if message.get(tool_field) is not None:
                raise unsupported(f"{at}.{tool_field}", "this server does not call tools or take audio")
        messages.append({"role": ROLES[role], "content": _content(message.get("content"), f"{at}.content")})
    return messages


def _stop(value: Any) -> list[str]:
    if value is None:
        return []
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list):
        raise invalid("stop", f"'stop' must be a string or an array of strings, not {_describe(value)}.",
                      "invalid_type")
    if len(stops) > MAX_STOP_SEQUENCES:
        raise invalid("stop", f"'stop' holds {len(stops)} sequences; at most {MAX_STOP_SEQUENCES} are allowed.")
    for index, stop in enumerate(stops):
        if not isinstance(stop, str) or not stop:
            raise invalid(f"stop[{index}]", f"'stop[{index}]' must be a non-empty string, not {_describe(stop)}.",
                          "invalid_type")
    return list(stops)


def _refuse_unsupported(fields: dict[str, Any]) -> None:
    def asks(param: str) -> bool:
        value = fields.get(param)
        return value is not None and value is not False and value != []

    if asks("tools"):
        raise unsupported("tools", "this server does not call tools")
    if asks("functions"):
        raise unsupported("functions", "this server does not call functions")
    for param in ("tool_choice", "function_call"):
        if asks(param) and fields[param] != "none":
            raise unsupported(param, "this server does not call tools")
    response_format = fields.get("response_format")
    if response_format is not None:
        if not isinstance(response_format, dict) or not isinstance(response_format.get("type"), str):
            raise invalid("response_format", "'response_format' must be an object like {\"type\": \"text\"}.",
                          "invalid_type")
        if response_format["type"] != "text":
            raise unsupported("response_format", f"'{response_format['type']}' output is not enforced; only "
                              "{\"type\": \"text\"} is")
    for param in ("logprobs", "top_logprobs"):
        if asks(param):
            raise unsupported(param, "log probabilities are not returned")
    if isinstance(fields.get("logit_bias"), dict) and fields["logit_bias"]:
        raise unsupported("logit_bias", "token biases are not applied")
    for penalty in ("presence_penalty", "frequency_penalty"):
        if fields.get(penalty) not in (None, 0):
            raise unsupported(penalty, "penalties are not applied; send 0 or leave it out")
    if isinstance(fields.get("modalities"), list) and any(m != "text" for m in fields["modalities"]):
        raise unsupported("modalities", "only text is generated")
    if asks("audio"):
        raise unsupported("audio", "only text is generated")


def parse_chat_request(body: Any, max_tokens_limit: int) -> tuple[ChatRequest, bool, bool]:
    """(the request, stream, stream_options.include_usage)."""
    fields = require_object(body)
    _refuse_unsupported(fields)
    model = required_string(fields, "model")
    messages = _messages(fields.get("messages"))
    newer = _optional_int(fields, "max_completion_tokens", 1, SAFE_INTEGER)
    older = _optional_int(fields, "max_tokens", 1, SAFE_INTEGER)
    # max_completion_tokens replaced max_tokens; when a client sends both, the newer one is what it means.
    param, max_tokens = ("max_completion_tokens", newer) if newer is not None else ("max_tokens", older)
    if max_tokens is not None and max_tokens > max_tokens_limit:
        raise invalid(param, f"'{param}' is {max_tokens}, more than this server allows ({max_tokens_limit}).",
                      "max_tokens_too_large")
    temperature = _optional_number(fields, "temperature", 0, 2)
    top_p = _optional_number(fields, "top_p", 0, 1, low_exclusive=True)
    seed = _optional_int(fields, "seed", -SAFE_INTEGER, SAFE_INTEGER)
    stop = _stop(fields.get("stop"))
    n = _optional_int(fields, "n", 1, SAFE_INTEGER)
    if n is not None and n != 1:
        raise unsupported("n", "it generates one choice per request; send n = 1 or leave it out")
    stream = _optional_bool(fields, "stream") or False
    include_usage = False
    options = fields.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            raise invalid("stream_options", f"'stream_options' must be an object, not {_describe(options)}.",
                          "invalid_type")
        if not stream:
            raise invalid("stream_options", "'stream_options' is only allowed when 'stream' is true.")
        include_usage = _optional_bool(options, "include_usage") or False
    request = ChatRequest(model=model, messages=messages, max_tokens=max_tokens,
                          temperature=1.0 if temperature is None else temperature,
                          top_p=1.0 if top_p is None else top_p, seed=seed, stop=stop)
    return request, stream, include_usage
