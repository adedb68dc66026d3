import { LivePanel } from './LivePanel';
import { MeterPicker } from './MeterPicker';
import { RecordControls } from './RecordControls';

export function MetersPage() {
  return (
    <div className="page meters-page" data-testid="page-meters">
      <div className="meters-side">
        <MeterPicker />
        <RecordControls />
      </div>
      <LivePanel />
    </div>
  );
}
