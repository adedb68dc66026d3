/**
 * Untrained models must never pass for trained ones: every place a random-weight model is named
 * (its card, a result, a row of the run history) carries this badge.
 */
export function RandomWeightsBadge({ randomWeights }: { randomWeights: boolean | undefined }) {
  if (!randomWeights) return null;
  return (
    <span
      className="badge badge-random"
      data-testid="random-weights-badge"
      title="Random weights, not trained: predictions and accuracy are meaningless"
    >
      RANDOM WEIGHTS
    </span>
  );
}
