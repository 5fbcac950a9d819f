# question: q4
# bug: the bubble as idle cells / busy cells instead of idle cells / all cells
def bubble_fraction(grid):
    cells = [cell for row in grid for cell in row]
    idle = sum(cell is None for cell in cells)
    return idle / (len(cells) - idle)
