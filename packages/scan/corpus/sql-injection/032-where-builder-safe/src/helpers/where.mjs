export function whereEquals(column, value) {
  return { text: `WHERE ${column} = ?`, values: [value] };
}
