/**
 * `wasi:io/poll` as functions that use wasi:http import it (`lib/http/imports.ts`): the same
 * pollables and `poll` as every other function (`io/poll.ts`), which serve our streams, HTTP
 * futures and clock subscriptions alike.
 */
import { Pollable, poll } from './io/poll.js';

export const wasiIoPoll = { Pollable, poll };
