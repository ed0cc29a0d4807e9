"""The Python server's HTTP layer (chatwright_serve.http_server) over the stand-in generator: every route, error
code, the streaming format line by line, include_usage, keep-alives and cancel on disconnect."""

from __future__ import annotations

import json
import os
import socket
import time
import unittest

from chatwright_serve.standin import render_prompt, reply_tokens

from serve_support import BASE, ServerFixture, wait_until

MESSAGES = [{"role": "user", "content": "Hello there"}]


def expected_reply(model: str = BASE, messages: list[dict[str, str]] = MESSAGES) -> list[str]:
    return reply_tokens(model, render_prompt(messages))


def read_until_closed(connection: socket.socket) -> bytes:
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    return answer


def events_of(lines: list[str]) -> list[str]:
    return [line[len("data: "):] for line in lines if line.startswith("data: ")]


class RouteTests(unittest.TestCase):
    def test_health_answers_ok_without_a_key(self):
        server = ServerFixture(self, api_key="secret")
        self.assertEqual(server.request("GET", "/health")[::2], (200, {"status": "ok"}))

    def test_health_and_requests_answer_503_while_the_model_loads(self):
        server = ServerFixture(self, ready=False)
        self.assertEqual(server.request("GET", "/health")[::2], (503, {"status": "loading"}))
        status, headers, body = server.chat()
        self.assertEqual((status, body["error"]["type"], body["error"]["code"]),
                         (503, "service_unavailable", "model_loading"))
        self.assertIn("retry-after", headers)

    def test_requests_answer_503_while_closing(self):
        server = ServerFixture(self)
        server.server.begin_closing()
        self.assertEqual(server.request("GET", "/health")[0], 503)
        status, _, body = server.chat()
        self.assertEqual((status, body["error"]["code"]), (503, "server_shutting_down"))

    def test_models_lists_the_base_model(self):
        server = ServerFixture(self)
        status, _, body = server.request("GET", "/v1/models")
        self.assertEqual(status, 200)
        self.assertEqual(body["object"], "list")
        self.assertEqual([(m["id"], m["object"], m["parent"]) for m in body["data"]], [(BASE, "model", None)])
        self.assertEqual(body["data"][0]["max_model_len"], 2048)

    def test_one_model_by_id_and_404_for_an_unknown_one(self):
        server = ServerFixture(self)
        status, _, body = server.request("GET", "/v1/models/" + BASE)
        self.assertEqual((status, body["id"]), (200, BASE))
        status, _, body = server.request("GET", "/v1/models/nope")
        self.assertEqual((status, body["error"]["code"], body["error"]["param"]), (404, "model_not_found", "model"))

    def test_unknown_route_is_404_and_wrong_method_is_405(self):
        server = ServerFixture(self)
        status, _, body = server.request("GET", "/v1/nothing")
        self.assertEqual((status, body["error"]["type"]), (404, "not_found_error"))
        self.assertEqual(server.request("GET", "/elsewhere")[0], 404)
        self.assertEqual(server.request("GET", "/v1/chat/completions")[0], 405)


class AuthAndHostTests(unittest.TestCase):
    def test_a_missing_or_wrong_key_is_401_with_www_authenticate(self):
        server = ServerFixture(self, api_key="secret")
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "secret"}):
            status, response_headers, body = server.request("GET", "/v1/models", headers=headers)
            self.assertEqual((status, body["error"]["type"], body["error"]["code"]),
                             (401, "authentication_error", "invalid_api_key"))
            self.assertTrue(response_headers["www-authenticate"].startswith("Bearer"))
        self.assertEqual(server.request("GET", "/v1/models", headers={"Authorization": "Bearer secret"})[0], 200)
        self.assertEqual(server.chat(headers={"Authorization": "Bearer secret"})[0], 200)

    def test_a_loopback_server_refuses_a_foreign_host_header(self):
        server = ServerFixture(self)
        status, _, body = server.request("GET", "/v1/models", headers={"Host": "evil.example:8766"})
        self.assertEqual((status, body["error"]["code"]), (403, "host_not_allowed"))
        for host in ("localhost:1", "127.0.0.1", "[::1]:8766", "127.5.5.5:80"):
            self.assertEqual(server.request("GET", "/v1/models", headers={"Host": host})[0], 200, host)


class ChatTests(unittest.TestCase):
    def test_a_chat_completion_has_the_generated_text_usage_and_finish_reason(self):
        server = ServerFixture(self)
        status, _, body = server.chat()
        self.assertEqual(status, 200)
        reply = expected_reply()
        self.assertEqual(body["object"], "chat.completion")
        self.assertTrue(body["id"].startswith("chatcmpl-"))
        self.assertEqual(body["model"], BASE)
        self.assertEqual(body["choices"][0]["message"], {"role": "assistant", "content": "".join(reply)})
        self.assertEqual(body["choices"][0]["finish_reason"], "stop")
        prompt_tokens = len(render_prompt(MESSAGES).split())
        self.assertEqual(body["usage"], {"prompt_tokens": prompt_tokens, "completion_tokens": len(reply),
                                         "total_tokens": prompt_tokens + len(reply)})

    def test_max_tokens_cuts_the_answer_with_finish_reason_length(self):
        server = ServerFixture(self)
        for field in ("max_tokens", "max_completion_tokens"):
            _, _, body = server.chat(**{field: 3})
            self.assertEqual(body["choices"][0]["message"]["content"], "".join(expected_reply()[:3]))
            self.assertEqual((body["choices"][0]["finish_reason"], body["usage"]["completion_tokens"]), ("length", 3))

    def test_a_stop_string_ends_the_answer_before_it(self):
        server = ServerFixture(self)
        reply = expected_reply()
        stop = reply[3][:3]  # the start of the fourth word, with its leading space
        _, _, body = server.chat(stop=["never-there", stop])
        self.assertEqual(body["choices"][0]["message"]["content"], "".join(reply[:3]))
        self.assertEqual(body["choices"][0]["finish_reason"], "stop")

    def test_an_unknown_model_is_404_with_param_model(self):
        server = ServerFixture(self)
        status, _, body = server.chat(model="other")
        self.assertEqual((status, body["error"]["param"], body["error"]["code"]), (404, "model", "model_not_found"))

    def test_a_prompt_beyond_the_context_is_400_context_length_exceeded(self):
        server = ServerFixture(self, context_length=8)
        status, _, body = server.chat(messages=[{"role": "user", "content": "word " * 20}])
        self.assertEqual((status, body["error"]["param"], body["error"]["code"]),
                         (400, "messages", "context_length_exceeded"))
        status, _, body = server.chat(max_tokens=100)
        self.assertEqual((status, body["error"]["param"], body["error"]["code"]),
                         (400, "max_tokens", "context_length_exceeded"))


class ValidationTests(unittest.TestCase):
    CASES = [
        ({"messages": None}, "messages", "missing_required_parameter"),
        ({"messages": []}, "messages", "empty_array"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role", "invalid_role"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content", "invalid_type"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "messages[0].content[0].type",
         "unsupported_content_type"),
        ({"model": ""}, "model", "invalid_type"),
        ({"temperature": 3}, "temperature", None),
        ({"top_p": 0}, "top_p", None),
        ({"max_tokens": 0}, "max_tokens", None),
        ({"max_tokens": 100000}, "max_tokens", "max_tokens_too_large"),
        ({"max_completion_tokens": 1.5}, "max_completion_tokens", "invalid_type"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop", None),
        ({"stop": [""]}, "stop[0]", "invalid_type"),
        ({"seed": "7"}, "seed", "invalid_type"),
        ({"n": 2}, "n", "unsupported_parameter"),
        ({"tools": [{"type": "function"}]}, "tools", "unsupported_parameter"),
        ({"response_format": {"type": "json_object"}}, "response_format", "unsupported_parameter"),
        ({"stream": "yes"}, "stream", "invalid_type"),
        ({"stream_options": {"include_usage": True}}, "stream_options", None),
    ]

    def test_each_bad_field_is_a_400_naming_it(self):
        server = ServerFixture(self)
        for fields, param, code in self.CASES:
            with self.subTest(fields=fields):
                status, _, body = server.chat(**fields)
                self.assertEqual(status, 400)
                self.assertEqual((body["error"]["type"], body["error"]["param"], body["error"]["code"]),
                                 ("invalid_request_error", param, code))
                self.assertIsInstance(body["error"]["message"], str)

    def test_a_body_that_is_not_json_is_400_invalid_json(self):
        server = ServerFixture(self)
        status, _, body = server.request("POST", "/v1/chat/completions", b"{not json")
        self.assertEqual((status, body["error"]["param"], body["error"]["code"]), (400, None, "invalid_json"))
        status, _, body = server.request("POST", "/v1/chat/completions", b"[1]")
        self.assertEqual((status, body["error"]["code"]), (400, "invalid_body"))

    def test_harmless_unknown_fields_are_ignored(self):
        server = ServerFixture(self)
        self.assertEqual(server.chat(user="me", metadata={"a": 1}, presence_penalty=0)[0], 200)


class LimitTests(unittest.TestCase):
    def test_a_body_over_the_limit_is_413_by_content_length_without_reading_it(self):
        server = ServerFixture(self, max_request_bytes=100)
        with server.raw_socket() as connection:
            connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
            answer = read_until_closed(connection).decode()
        self.assertTrue(answer.startswith("HTTP/1.1 413"), answer)
        self.assertIn('"request_too_large"', answer)

    def test_a_chunked_body_over_the_limit_is_413_by_the_read_cap(self):
        server = ServerFixture(self, max_request_bytes=100)
        with server.raw_socket() as connection:
            chunk = b"x" * 80
            connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n50\r\n" + chunk + b"\r\n50\r\n")
            # The second chunk's size already passes the cap: refused before its bytes are sent or read.
            answer = read_until_closed(connection).decode()
        self.assertTrue(answer.startswith("HTTP/1.1 413"), answer)

    def test_a_chunked_body_under_the_limit_is_read(self):
        server = ServerFixture(self)
        body = json.dumps({"model": BASE, "messages": MESSAGES, "max_tokens": 2}).encode()
        with server.raw_socket() as connection:
            connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(body):x}\r\n".encode() + body +
                               b"\r\n0\r\n\r\n")
            answer = read_until_closed(connection)
        self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer)
        self.assertIn(b'"finish_reason": "length"', answer)

    def test_a_negative_or_non_hex_chunk_size_is_400_and_nothing_more_is_read(self):
        server = ServerFixture(self)
        for size_line in (b"-1", b"+10", b"0x10", b" 10", b"1_0"):
            with self.subTest(size_line=size_line), server.raw_socket() as connection:
                # The connection stays open after the size line: a server that reads "to the end" would hang here.
                connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n" + size_line + b"\r\n{}")
                connection.settimeout(10)
                answer = read_until_closed(connection)
                self.assertTrue(answer.startswith(b"HTTP/1.1 400"), answer)
                self.assertIn(b'"invalid_body"', answer)

    def test_a_client_that_stops_sending_mid_body_is_disconnected(self):
        from chatwright_serve import http_server

        self.assertEqual(http_server.RequestHandler.timeout, http_server.SOCKET_TIMEOUT_SECONDS)
        previous = http_server.RequestHandler.timeout
        http_server.RequestHandler.timeout = 0.2  # the same path as the real 120 s, without the wait
        self.addCleanup(setattr, http_server.RequestHandler, "timeout", previous)
        server = ServerFixture(self)
        with server.raw_socket() as connection:
            connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"Content-Length: 100\r\n\r\n{")
            self.assertEqual(read_until_closed(connection), b"")  # closed, no answer (and no 500)
        self.assertEqual(server.chat(max_tokens=1)[0], 200)  # the server goes on

    def test_a_full_queue_is_429_and_counted_as_rejected(self):
        server = ServerFixture(self, max_batch=1, max_queue=1, token_delay=0.2)
        from chatwright_serve.generation import ChatRequest

        running = server.scheduler.submit(ChatRequest(model=BASE, messages=MESSAGES), None)
        self.assertTrue(wait_until(lambda: server.scheduler.active == 1))
        waiting = server.scheduler.submit(ChatRequest(model=BASE, messages=MESSAGES), None)
        status, _, body = server.chat()
        self.assertEqual((status, body["error"]["type"], body["error"]["code"]),
                         (429, "rate_limit_error", "queue_full"))
        self.assertEqual(server.server.stats.snapshot(server.scheduler)["rejected"], 1)
        for row in (running, waiting):
            row.request.cancel.set()


class StreamingTests(unittest.TestCase):
    def test_the_stream_is_data_lines_with_role_first_content_deltas_finish_and_done(self):
        server = ServerFixture(self)
        lines = server.stream_lines()
        # Every event is one `data:` line followed by an empty line; the stream ends with [DONE].
        self.assertEqual(lines[-3:], ["data: [DONE]", "", ""])
        for index in range(0, len(lines) - 1, 2):
            self.assertTrue(lines[index].startswith("data: "), lines[index])
            self.assertEqual(lines[index + 1], "")
        events = events_of(lines)
        self.assertEqual(events[-1], "[DONE]")
        chunks = [json.loads(event) for event in events[:-1]]
        self.assertTrue(all(c["object"] == "chat.completion.chunk" and c["model"] == BASE for c in chunks))
        self.assertEqual(len({c["id"] for c in chunks}), 1)
        self.assertEqual(chunks[0]["choices"][0]["delta"], {"role": "assistant", "content": ""})
        contents = [c["choices"][0]["delta"]["content"] for c in chunks[1:-1]]
        self.assertEqual(contents, expected_reply())
        self.assertEqual((chunks[-1]["choices"][0]["delta"], chunks[-1]["choices"][0]["finish_reason"]), ({}, "stop"))
        self.assertTrue(all("usage" not in c for c in chunks))

    def test_include_usage_adds_a_last_chunk_with_usage_and_no_choices(self):
        server = ServerFixture(self)
        chunks = [json.loads(e) for e in events_of(server.stream_lines(max_tokens=4,
                                                                        stream_options={"include_usage": True}))[:-1]]
        self.assertTrue(all(c["usage"] is None for c in chunks[:-1]))
        last = chunks[-1]
        self.assertEqual(last["choices"], [])
        self.assertEqual(last["usage"]["completion_tokens"], 4)
        self.assertEqual(chunks[-2]["choices"][0]["finish_reason"], "length")

    def test_keep_alive_comments_are_sent_while_waiting(self):
        server = ServerFixture(self, token_delay=0.3, keepalive=0.05)
        lines = server.stream_lines(max_tokens=1)
        first_content = next(i for i, line in enumerate(lines) if '"content": "' in line and '"role"' not in line)
        self.assertIn(": keep-alive", lines[:first_content])

    def test_closing_the_socket_mid_stream_cancels_the_row(self):
        server = ServerFixture(self, token_delay=0.05)
        body = json.dumps({"model": BASE, "messages": MESSAGES, "stream": True}).encode()
        connection = server.raw_socket()
        connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                           b"application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        received = b""
        while received.count(b'"content": "') < 2:  # the role chunk and one content chunk
            received += connection.recv(4096)
        connection.shutdown(socket.SHUT_RDWR)
        connection.close()
        self.assertTrue(wait_until(lambda: server.backend.cancelled_rows == 1))
        self.assertLess(server.server.stats.snapshot(None)["completion_tokens"], len(expected_reply()))

    def test_closing_the_socket_while_waiting_for_a_whole_answer_cancels_the_row(self):
        server = ServerFixture(self, token_delay=0.05)
        body = json.dumps({"model": BASE, "messages": MESSAGES}).encode()
        connection = server.raw_socket()
        connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                           str(len(body)).encode() + b"\r\n\r\n" + body)
        self.assertTrue(wait_until(lambda: server.scheduler.active == 1))
        connection.close()
        self.assertTrue(wait_until(lambda: server.backend.cancelled_rows == 1))


class ShutdownTests(unittest.TestCase):
    """A generation the server's close cancels ends as the built-in server ends it: 503 server_shutting_down for a
    whole answer, an error event for a stream, never a 200 with part of the text."""

    def test_a_whole_answer_cut_by_shutdown_is_503(self):
        server = ServerFixture(self, token_delay=0.05)
        body = json.dumps({"model": BASE, "messages": MESSAGES}).encode()
        with server.raw_socket() as connection:
            connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            self.assertTrue(wait_until(lambda: server.server.stats.snapshot(server.scheduler)["active"] == 1))
            server.server.begin_closing()
            server.scheduler.close()
            answer = read_until_closed(connection).decode()
        self.assertTrue(answer.startswith("HTTP/1.1 503"), answer)
        error = json.loads(answer.split("\r\n\r\n", 1)[1])["error"]
        self.assertEqual((error["type"], error["code"]), ("service_unavailable", "server_shutting_down"))

    def test_a_stream_cut_by_shutdown_ends_with_an_error_event(self):
        server = ServerFixture(self, token_delay=0.05)
        body = json.dumps({"model": BASE, "messages": MESSAGES, "stream": True}).encode()
        with server.raw_socket() as connection:
            connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            received = b""
            while received.count(b'"content": "') < 2:  # the role chunk and one content chunk
                received += connection.recv(4096)
            server.server.begin_closing()
            server.scheduler.close()
            received += read_until_closed(connection)
        events = [line[len(b"data: "):] for line in received.split(b"\n") if line.startswith(b"data: ")]
        last = json.loads(events[-1])
        self.assertEqual(last["error"]["code"], "server_shutting_down")
        self.assertNotIn(b"[DONE]", received)
        self.assertTrue(received.endswith(b"0\r\n\r\n"), received[-40:])  # the chunked body's proper end


class AdapterRouteTests(unittest.TestCase):
    def setUp(self):
        from support import temp_dir

        self.folder = temp_dir(self)

    def test_load_lists_the_adapter_with_its_parent_and_serves_it_as_a_model(self):
        from serve_support import write_adapter

        server = ServerFixture(self, adapter_roots=[str(self.folder)])
        path = str(write_adapter(self.folder / "tuned"))
        status, _, body = server.request("POST", "/v1/adapters/load", {"name": "tuned", "path": path})
        self.assertEqual((status, body["id"], body["parent"]), (200, "tuned", BASE))
        listed = {m["id"]: m["parent"] for m in server.request("GET", "/v1/models")[2]["data"]}
        self.assertEqual(listed, {BASE: None, "tuned": BASE})
        _, _, tuned = server.chat(model="tuned")
        _, _, base = server.chat()
        self.assertEqual(tuned["model"], "tuned")
        self.assertEqual(tuned["choices"][0]["message"]["content"], "".join(expected_reply("tuned")))
        self.assertNotEqual(tuned["choices"][0]["message"]["content"], base["choices"][0]["message"]["content"])

    def test_unload_removes_the_adapter(self):
        from serve_support import write_adapter

        server = ServerFixture(self, adapter_roots=[str(self.folder)])
        path = str(write_adapter(self.folder / "tuned"))
        server.request("POST", "/v1/adapters/load", {"name": "tuned", "path": path})
        status, _, body = server.request("POST", "/v1/adapters/unload", {"name": "tuned"})
        self.assertEqual((status, body["loaded"]), (200, False))
        self.assertEqual(server.chat(model="tuned")[0], 404)
        self.assertNotIn("tuned", server.backend.adapters)
        status, _, body = server.request("POST", "/v1/adapters/unload", {"name": "tuned"})
        self.assertEqual((status, body["error"]["param"]), (404, "name"))

    def test_load_refuses_bad_adapter_folders_with_a_clear_400(self):
        from serve_support import write_adapter

        server = ServerFixture(self, adapter_roots=[str(self.folder)])
        cases = {
            "not json": (write_adapter(self.folder / "a", config="{oops"), "not valid JSON"),
            "no peft_type": (write_adapter(self.folder / "b", config={"r": 8}), "peft_type"),
            "bad r": (write_adapter(self.folder / "c", config={"peft_type": "LORA", "r": 0}), "r must be"),
            "other base": (write_adapter(self.folder / "d", base="org/other-model"), "trained on 'org/other-model'"),
            "no weights": (write_adapter(self.folder / "e", weights=False), "no adapter weights"),
            "no config": (self.folder, "missing"),
            "no folder": (self.folder / "absent", "not a folder"),
        }
        for label, (path, words) in cases.items():
            with self.subTest(label):
                status, _, body = server.request("POST", "/v1/adapters/load", {"name": "x", "path": str(path)})
                self.assertEqual((status, body["error"]["param"], body["error"]["code"]),
                                 (400, "path", "adapter_invalid"))
                self.assertIn(words, body["error"]["message"])
        self.assertEqual(server.backend.adapters, {})

    def test_load_refuses_a_bad_name_and_a_taken_one(self):
        from serve_support import write_adapter

        server = ServerFixture(self, adapter_roots=[str(self.folder)])
        path = str(write_adapter(self.folder / "tuned"))
        for name in ("", "has space", BASE, 5):
            status, _, body = server.request("POST", "/v1/adapters/load", {"name": name, "path": path})
            self.assertEqual((status, body["error"]["param"]), (400, "name"), name)
        server.request("POST", "/v1/adapters/load", {"name": "tuned", "path": path})
        status, _, body = server.request("POST", "/v1/adapters/load", {"name": "tuned", "path": path})
        self.assertEqual((status, body["error"]["code"]), (400, "adapter_exists"))

    def test_an_adapter_known_from_the_command_line_loads_on_first_use(self):
        from serve_support import write_adapter

        server = ServerFixture(self, adapter_roots=[str(self.folder)])
        server.registry.add_known("tuned", str(write_adapter(self.folder / "tuned")))
        self.assertIn("tuned", [m["id"] for m in server.request("GET", "/v1/models")[2]["data"]])
        self.assertEqual(server.backend.adapters, {})
        status, _, body = server.chat(model="tuned")
        self.assertEqual((status, body["choices"][0]["message"]["content"]), (200, "".join(expected_reply("tuned"))))
        self.assertIn("tuned", server.backend.adapters)

    def test_load_refuses_a_folder_outside_the_adapter_roots(self):
        from serve_support import write_adapter

        from support import temp_dir

        elsewhere = temp_dir(self)
        outside = write_adapter(elsewhere / "tuned")
        (self.folder / "link").symlink_to(outside)  # inside by name, outside once resolved
        server = ServerFixture(self, adapter_roots=[str(self.folder)])
        for path in (outside, self.folder / "link", self.folder / ".." / elsewhere.name / "tuned"):
            with self.subTest(path=str(path)):
                status, _, body = server.request("POST", "/v1/adapters/load", {"name": "x", "path": str(path)})
                self.assertEqual((status, body["error"]["code"]), (400, "adapter_invalid"))
                self.assertIn("outside the folders this server loads adapters from", body["error"]["message"])
        self.assertEqual(server.backend.adapters, {})

    def test_without_roots_the_folders_of_the_command_line_adapters_are_the_roots(self):
        from serve_support import write_adapter

        server = ServerFixture(self)
        status, _, body = server.request("POST", "/v1/adapters/load", {"name": "x", "path": str(
            write_adapter(self.folder / "run" / "adapter"))})
        self.assertEqual((status, body["error"]["code"]), (400, "adapter_invalid"))
        self.assertIn("--adapter-root", body["error"]["message"])
        server.registry.add_known("tuned", str(self.folder / "run" / "adapter"))
        sibling = write_adapter(self.folder / "run" / "checkpoint-10")
        status, _, body = server.request("POST", "/v1/adapters/load", {"name": "ten", "path": str(sibling)})
        self.assertEqual((status, body["loaded"]), (200, True))
        status, _, body = server.request("POST", "/v1/adapters/load", {"name": "y", "path": str(
            write_adapter(self.folder / "other-run" / "adapter"))})
        self.assertEqual(status, 400)

    def test_load_refuses_an_adapter_that_does_not_name_its_base_or_has_oversized_weights(self):
        from serve_support import write_adapter

        from chatwright_serve.adapters import MAX_WEIGHT_BYTES

        server = ServerFixture(self, adapter_roots=[str(self.folder)])
        nameless = write_adapter(self.folder / "nameless", config={"peft_type": "LORA", "r": 8})
        huge = write_adapter(self.folder / "huge")
        os.truncate(huge / "adapter_model.safetensors", MAX_WEIGHT_BYTES + 1)  # sparse: no disk used
        for path, words in ((nameless, "does not name its base model"), (huge, "more than the 8 GiB")):
            with self.subTest(path=path.name):
                status, _, body = server.request("POST", "/v1/adapters/load", {"name": "x", "path": str(path)})
                self.assertEqual((status, body["error"]["code"]), (400, "adapter_invalid"))
                self.assertIn(words, body["error"]["message"])
        self.assertEqual(server.backend.adapters, {})

    def test_models_answer_while_an_adapter_waits_for_the_running_batch_to_load(self):
        import http.client
        import threading

        from chatwright_serve.generation import ChatRequest
        from serve_support import write_adapter

        server = ServerFixture(self, max_batch=1, token_delay=0.2)
        server.registry.add_known("tuned", str(write_adapter(self.folder / "tuned")))
        running = server.scheduler.submit(ChatRequest(model=BASE, messages=MESSAGES, max_tokens=500), None)
        self.assertTrue(wait_until(lambda: server.scheduler.active == 1))
        answers: list[int] = []

        def ask_tuned() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            connection.request("POST", "/v1/chat/completions", json.dumps({"model": "tuned", "messages": MESSAGES}),
                               {"Content-Type": "application/json"})
            answers.append(connection.getresponse().status)
            connection.close()

        asker = threading.Thread(target=ask_tuned, daemon=True)
        asker.start()
        self.assertTrue(wait_until(lambda: len(server.scheduler._tasks) == 1))  # the load, queued behind the batch
        status, _, body = server.request("GET", "/v1/models")  # resolve() must not hold the registry's lock now
        self.assertEqual((status, [m["id"] for m in body["data"]]), (200, [BASE, "tuned"]))
        self.assertFalse(running.state.finished)  # answered while the batch still ran
        self.assertEqual(answers, [])
        running.request.cancel.set()
        asker.join(30)
        self.assertEqual(answers, [200])
        self.assertIn("tuned", server.backend.adapters)

    def test_adapter_routes_need_the_key(self):
        server = ServerFixture(self, api_key="secret")
        self.assertEqual(server.request("POST", "/v1/adapters/load", {"name": "x", "path": "/"})[0], 401)


if __name__ == "__main__":
    unittest.main()
