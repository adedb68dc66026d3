import { LivePanel } from './LivePanel';
import { MeterPicker } from './MeterPicker';
import { RecordControls } from './RecordControls';
import { TriggerControls } from './TriggerControls';

export function MetersPage() {
  return (
    <div className="page meters-page" data-testid="page-meters">
      <div className="meters-side">
        <MeterPicker />
        <RecordControls />
        <TriggerControls />
      </div>
      <LivePanel />
    </div>
  );
}
