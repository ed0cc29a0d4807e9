import os
import signal
import unittest

from chatwright_train.control import CHECKPOINT_NOW_FILE, DUPLICATE_SIGINT_SECONDS, STOP_NOW_FILE, JobControl
from chatwright_train.errors import ERROR_ACTIONS, TrainError
from chatwright_train.probe import install_command, version_at_least

from support import temp_dir


class Control(unittest.TestCase):
    def test_a_checkpoint_now_file_asks_once_and_is_removed(self):
        run = temp_dir(self)
        control = JobControl(run)
        (run / CHECKPOINT_NOW_FILE).touch()
        self.assertEqual(control.take_checkpoint_request(), "file")
        self.assertFalse((run / CHECKPOINT_NOW_FILE).exists())
        self.assertIsNone(control.take_checkpoint_request())

    def test_a_stop_now_file_asks_to_stop_and_is_removed(self):
        run = temp_dir(self)
        control = JobControl(run)
        self.assertFalse(control.poll_stop())
        (run / STOP_NOW_FILE).touch()
        self.assertTrue(control.poll_stop())
        self.assertEqual(control.stop_reason, "stop-now file")
        self.assertFalse((run / STOP_NOW_FILE).exists())

    def test_sigint_asks_to_stop_and_a_second_sigint_aborts(self):
        control = JobControl(temp_dir(self))
        control.install_signal_handlers()
        self.addCleanup(control.restore_signal_handlers)
        os.kill(os.getpid(), signal.SIGINT)
        self.assertTrue(control.stop_requested)
        self.assertEqual(control.stop_reason, "SIGINT")
        with self.assertRaises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)

    def test_a_second_sigint_within_the_window_is_the_same_request_under_several_processes(self):
        # The scheduler signals every process of the step and the launcher's agent relays the same SIGINT.
        now = [100.0]
        control = JobControl(temp_dir(self), world_size=4, clock=lambda: now[0])
        control.install_signal_handlers()
        self.addCleanup(control.restore_signal_handlers)
        os.kill(os.getpid(), signal.SIGINT)
        now[0] += 0.005
        os.kill(os.getpid(), signal.SIGINT)  # no KeyboardInterrupt: still a stop with a save
        self.assertTrue(control.stop_requested)
        self.assertEqual(control.stop_reason, "SIGINT")
        now[0] += DUPLICATE_SIGINT_SECONDS + 1.0  # a cancel's second interrupt, spaced by the runner
        with self.assertRaises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)

    def test_one_process_aborts_on_a_second_sigint_however_soon(self):
        control = JobControl(temp_dir(self), world_size=1, clock=lambda: 100.0)
        control.install_signal_handlers()
        self.addCleanup(control.restore_signal_handlers)
        os.kill(os.getpid(), signal.SIGINT)
        with self.assertRaises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)

    def test_a_sigint_after_a_stop_asked_by_file_aborts_even_under_several_processes(self):
        run = temp_dir(self)
        control = JobControl(run, world_size=2, clock=lambda: 100.0)
        control.install_signal_handlers()
        self.addCleanup(control.restore_signal_handlers)
        (run / STOP_NOW_FILE).touch()
        self.assertTrue(control.poll_stop())
        with self.assertRaises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)

    @unittest.skipUnless(hasattr(signal, "SIGUSR1"), "no SIGUSR1 on this platform")
    def test_sigusr1_asks_for_a_checkpoint_without_stopping(self):
        control = JobControl(temp_dir(self))
        control.install_signal_handlers()
        self.addCleanup(control.restore_signal_handlers)
        os.kill(os.getpid(), signal.SIGUSR1)
        self.assertEqual(control.take_checkpoint_request(), "signal")
        self.assertFalse(control.stop_requested)

    def test_handlers_are_restored(self):
        before = signal.getsignal(signal.SIGINT)
        control = JobControl(temp_dir(self))
        control.install_signal_handlers()
        control.restore_signal_handlers()
        self.assertIs(signal.getsignal(signal.SIGINT), before)


class Errors(unittest.TestCase):
    def test_every_error_code_has_an_action(self):
        self.assertTrue(all(action.strip() for action in ERROR_ACTIONS.values()))
        self.assertEqual(TrainError("DATA_EMPTY", "x").action, ERROR_ACTIONS["DATA_EMPTY"])

    def test_unknown_codes_are_refused(self):
        with self.assertRaises(ValueError):
            TrainError("NOPE", "x")


class Probe(unittest.TestCase):
    def test_versions_compare_numerically_and_ignore_local_suffixes(self):
        self.assertTrue(version_at_least("2.11.0+cu130", "2.4"))
        self.assertTrue(version_at_least("5.17.0", "5.0"))
        self.assertFalse(version_at_least("4.57.1", "5.0"))
        self.assertTrue(version_at_least("0.21.0.dev0", "0.14"))

    def test_the_install_command_names_this_interpreter_and_each_package(self):
        command = install_command(["torch>=2.4", "peft>=0.14"], python="/usr/bin/python3")
        self.assertEqual(command, '"/usr/bin/python3" -m pip install --upgrade "torch>=2.4" "peft>=0.14"')


if __name__ == "__main__":
    unittest.main()
