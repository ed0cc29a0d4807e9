import { type JobPageState, type JobPreflightView } from '../../../src/shared/jobPageProtocol';

/** The job's types as the page protocol carries them (a webview imports nothing of src/ but src/shared). */
export type JobSnapshot = JobPageState['snapshot'];
export type JobSeries = JobSnapshot['series'];
export type JobStatus = JobSnapshot['status'];
export type PreflightFinding = JobPreflightView['findings'][number];
