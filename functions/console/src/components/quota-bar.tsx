import { Progress, ProgressMeasureLocation, ProgressVariant } from '@patternfly/react-core';
import { bytes } from '../api/format';

/** How much of its quota a namespace uses, with the limits that warn or refuse marked in the label. */
export function QuotaBar({
  used,
  limit,
  limits = [],
  title = 'Quota',
}: {
  used: number;
  limit: number | null;
  limits?: { type: string; limit_percent: number }[];
  title?: string;
}) {
  if (limit === null || limit <= 0) {
    return <p>{`${bytes(used)} used; no quota set.`}</p>;
  }
  const percent = Math.min(100, (used / limit) * 100);
  const reject = limits.find((l) => l.type === 'Reject')?.limit_percent ?? 100;
  const warning = limits.find((l) => l.type === 'Warning')?.limit_percent;
  const variant =
    percent >= reject
      ? ProgressVariant.danger
      : warning !== undefined && percent >= warning
        ? ProgressVariant.warning
        : undefined;
  const marks = limits.map((l) => `${l.type} at ${l.limit_percent}%`).join(', ');
  return (
    <Progress
      value={percent}
      title={title}
      label={`${bytes(used)} of ${bytes(limit)} (${percent.toFixed(1)}%)${marks ? `; ${marks}` : ''}`}
      measureLocation={ProgressMeasureLocation.outside}
      variant={variant}
      aria-label={`${title}: ${percent.toFixed(1)}% used`}
      data-testid="quota-bar"
    />
  );
}
