import { useEffect, useState } from 'react';

/** Date.now(), re-rendered every `periodMs` while `active` (for stopwatches). */
export function useNow(active: boolean, periodMs = 100): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(t);
  }, [active, periodMs]);
  return now;
}
