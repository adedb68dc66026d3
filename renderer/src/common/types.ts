// Contract types re-exported for the UI, so components import from one nearby place.
export type { AppInfo, DriverInfo, LiveBatch, MeterStatus, PortInfo, LogicTrace, SessionSummary, Trace } from '../../../main/api/contract';
import type { z } from 'zod';
import type { ChannelSchema } from '../../../main/api/contract';
export type Channel = z.output<typeof ChannelSchema>;
